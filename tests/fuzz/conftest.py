"""Servers for the fuzz gate: real `washline serve` processes on each back-end, seeded with
the demo city so the ids a fuzzer guesses (1, 2, 3...) name real users, orders, vehicles and
packages, and logged in as each role.

Each fuzz module gets its own seeded server per back-end (module scope): the HTTP fuzzer
changes the data as it goes, and the WebSocket fuzzer should not depend on what it left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from app.demo import ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_PASSWORD, load_demo_data
from persistence.database import create_engine, create_session_factory
from persistence.migrate import upgrade
from tests.support.api import test_settings
from tests.support.database import truncate_all
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e

LOGINS = {
    "customer": ("customer1@washline.test", DEMO_PASSWORD),
    "washer": ("washer1@washline.test", DEMO_PASSWORD),
    "admin": (ADMIN_EMAIL, ADMIN_PASSWORD),
}


@dataclass
class FuzzTarget:
    """A running, seeded server and an access token per role."""

    backend: str
    server: ServerProcess
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def ws_url(self) -> str:
        return self.server.ws_url

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def log_in(self, role: str) -> str:
        """Log `role` in again (the fuzzer may have revoked or expired its session)."""
        email, password = LOGINS[role]
        response = httpx.post(
            f"{self.base_url}/api/auth/login",
            json={"email": email, "password": password},
            timeout=10,
        )
        response.raise_for_status()
        body = response.json()
        self.tokens[role] = body["access_token"]
        self.user_ids[role] = body["user"]["id"]
        return self.tokens[role]


async def _seed(database_url: str) -> None:
    """Load the demo city through the app's own services (the way `washline run` does)."""
    settings = test_settings(database_url)
    engine = create_engine(database_url)
    try:
        await load_demo_data(create_session_factory(engine), settings)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def fuzz_postgres_url(fresh_postgres_database: str) -> str:
    upgrade(fresh_postgres_database)
    return fresh_postgres_database


@pytest.fixture(scope="module", params=["embedded", "postgres-redis"])
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzTarget]:
    """A seeded `washline serve` on SQLite with the in-process broker, then on PostgreSQL
    with Redis."""
    directory = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    if request.param == "embedded":
        database_url = f"sqlite+aiosqlite:///{directory / 'fuzz.db'}"
        upgrade(database_url)
        redis_url = ""
    else:
        database_url = request.getfixturevalue("fuzz_postgres_url")
        asyncio.run(truncate_all(database_url))
        redis_url = request.getfixturevalue("redis_url")
    asyncio.run(_seed(database_url))
    # A fuzzer sends far more ops and requests a second than any client: the rate limits
    # have their own tests, here they would only hide the handlers behind 429s.
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WS_OPS_PER_SECOND": "100000",
        "MAX_OPEN_ORDERS_PER_CUSTOMER": "100000",
        "LOG_LEVEL": "WARNING",
    }
    server = ServerProcess(env, directory / "server.log")
    server.start()
    try:
        fuzz_target = FuzzTarget(request.param, server)
        for role in LOGINS:
            fuzz_target.log_in(role)
        yield fuzz_target
    finally:
        server.stop()
