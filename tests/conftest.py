"""Fixtures shared by every test layer: real PostgreSQL and Redis, found or started.

Order of preference: `TEST_DATABASE_URL` / `TEST_REDIS_URL`; the machine's services on their
default ports; throwaway servers started from the installed binaries. When none works the
test fails with what to install: tests that need a real server never skip silently.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from tests.support.services import ThrowawayPostgres, ThrowawayRedis, port_open

pytest_plugins = ["tests.support.backends"]
"""`database_url` on both back-ends, for the folders that test on both (api, persistence)."""

SERIAL_FOLDERS = ("e2e", "browser", "fuzz")
"""Folders whose tests start real servers (or a browser): they run alone, one at a time."""
SHARED_REDIS_FIXTURE = "redis_server_url"
"""Pub/sub channels are server-wide and the app's are not prefixed, so a test on the real
Redis could hear another's events: those run alone too."""

LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what must run alone `serial`; `make test` runs the rest on several workers first
    (each worker has its own PostgreSQL database, SQLite files and temporary folders)."""
    for item in items:
        folder = item.path.relative_to(item.config.rootpath).parts[1:2]
        uses_redis = SHARED_REDIS_FIXTURE in getattr(item, "fixturenames", ())
        if uses_redis or (folder and folder[0] in SERIAL_FOLDERS):
            item.add_marker(pytest.mark.serial)


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """Base URL (no db number) of a real Redis server."""
    configured = os.environ.get("TEST_REDIS_URL")
    if configured:
        yield configured.rstrip("/").rsplit("/", 1)[0] if configured.count("/") > 2 else configured
        return
    if port_open("127.0.0.1", 6379):
        yield LOCAL_REDIS
        return
    try:
        server = ThrowawayRedis()
        server.start()
    except RuntimeError as exc:
        pytest.fail(f"no Redis reachable and none could be started: {exc}")
    try:
        yield server.url.rsplit("/", 1)[0]
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server_url: str) -> str:
    """A real Redis database of this test process's own (pub/sub is server-wide: use a prefix)."""
    return f"{redis_server_url}/{1 + os.getpid() % 15}"


@pytest.fixture
def redis_prefix() -> str:
    """A key and pub/sub channel prefix unique to one test, so concurrent runs never meet."""
    return f"t{uuid.uuid4().hex[:10]}:"


@pytest.fixture
async def clean_redis_url(redis_url: str) -> AsyncIterator[str]:
    """`redis_url`, flushed before the test."""
    client = aioredis.from_url(redis_url)
    await client.flushdb()
    await client.aclose()
    yield redis_url


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """Admin URL (database `postgres`) of a real PostgreSQL server."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    if port_open("127.0.0.1", 5432):
        yield LOCAL_POSTGRES
        return
    try:
        server = ThrowawayPostgres()
        server.start()
    except (RuntimeError, OSError) as exc:
        pytest.fail(f"no PostgreSQL reachable and none could be started: {exc}")
    try:
        yield server.url
    finally:
        server.stop()


async def _admin_execute(server_url: str, statement: str) -> None:
    import asyncpg

    plain = server_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def fresh_postgres_database(postgres_server_url: str) -> Iterator[str]:
    """A brand-new, empty database for this test session; dropped afterwards."""
    name = f"washline_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin_execute(postgres_server_url, f'CREATE DATABASE "{name}"'))
    base = postgres_server_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(
            _admin_execute(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )
