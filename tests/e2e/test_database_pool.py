"""`washline serve` opens its whole PostgreSQL pool before traffic needs it
(`DATABASE_POOL_OPEN_AT_START`), so a burst of requests opens no connection in its time."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx

from domain.roles import Role
from tests.e2e.streams import eventually

POOL_SIZE = 6


async def server_backends(database_url: str) -> set[int]:
    """Process ids of the PostgreSQL backends connected to the database, this probe's aside."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    return {row["pid"] for row in rows}


async def test_the_pool_is_open_before_a_burst_and_the_burst_opens_no_connection(
    start_server: Any, make_account: Any, postgres_url: str
) -> None:
    server = start_server(
        postgres_url,
        DATABASE_POOL_SIZE=str(POOL_SIZE),
        DATABASE_POOL_OPEN_AT_START="true",
    )

    async def pool_open() -> bool:
        return len(await server_backends(postgres_url)) >= POOL_SIZE

    await eventually(pool_open, timeout=15)
    customer = await make_account(server, postgres_url, Role.CUSTOMER)
    before = await server_backends(postgres_url)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        answers = await asyncio.gather(
            *(client.get("/api/orders", headers=customer.headers) for _ in range(4 * POOL_SIZE))
        )
    assert {answer.status_code for answer in answers} == {200}
    assert await server_backends(postgres_url) == before


async def test_with_the_setting_off_the_pool_opens_on_demand(
    start_server: Any, postgres_url: str
) -> None:
    server = start_server(
        postgres_url, DATABASE_POOL_SIZE="20", DATABASE_POOL_OPEN_AT_START="false"
    )
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        assert (await client.get("/ready")).status_code == 200
    # The background workers' first runs open a few; the pool of 20 is far from full.
    assert len(await server_backends(postgres_url)) < 20
