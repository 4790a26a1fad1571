"""End-to-end fixtures: real `washline serve` processes on PostgreSQL + Redis or embedded.

Users are created straight in the database (fast), then every test talks to the servers
only over HTTP, WebSocket and SSE, as clients do.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from domain.roles import Role
from persistence.migrate import upgrade
from tests.support.api import test_settings
from tests.support.database import PASSWORD, add_user, truncate_all
from tests.support.server import ServerProcess

pytestmark = pytest.mark.e2e


@dataclass
class Account:
    id: int
    email: str
    role: Role
    token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="session")
def e2e_postgres_url(fresh_postgres_database: str) -> str:
    upgrade(fresh_postgres_database)
    return fresh_postgres_database


@pytest.fixture
async def postgres_url(e2e_postgres_url: str) -> str:
    """The e2e PostgreSQL database, emptied for this test."""
    await truncate_all(e2e_postgres_url)
    return e2e_postgres_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/embedded.db"
    upgrade(url)
    return url


StartServer = Callable[..., ServerProcess]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start `washline serve` processes; all are stopped after the test."""
    servers: list[ServerProcess] = []
    numbers = itertools.count(1)

    def start(database_url: str, redis_url: str = "", **env: str) -> ServerProcess:
        settings = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, **env}
        server = ServerProcess(settings, tmp_path / f"server-{next(numbers)}.log")
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


MakeAccount = Callable[..., "asyncio.Future[Account]"]


@pytest.fixture
def make_account() -> Callable[..., object]:
    """Create a user in `database_url` and log in through `server`."""
    counter = itertools.count(1)

    async def make(server: ServerProcess, database_url: str, role: Role, name: str = "") -> Account:
        email = f"{name or role.value}{next(counter)}@e2e.test"
        await add_user(test_settings(database_url), email, role, name or role.value)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
            response = await client.post(
                "/api/auth/login", json={"email": email, "password": PASSWORD}
            )
            response.raise_for_status()
            body = response.json()
        return Account(body["user"]["id"], email, role, body["access_token"], body["refresh_token"])

    return make


@pytest.fixture
async def http() -> AsyncIterator[Callable[[ServerProcess], httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []

    def client_for(server: ServerProcess) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=server.base_url, timeout=10)
        clients.append(client)
        return client

    yield client_for
    for client in clients:
        await client.aclose()
