"""`persistence.database.open_pool`: a PostgreSQL pool opened in full at once, so checkouts
up to its size open nothing; an embedded SQLite pool is left as it is."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, text

from persistence.database import create_engine, is_sqlite, open_pool


async def test_an_opened_pool_serves_as_many_checkouts_at_once_without_connecting(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool_size=3)
    connects: list[object] = []

    def count(_dbapi_connection: Any, _record: Any) -> None:
        connects.append(object())

    event.listen(engine.sync_engine, "connect", count)
    try:
        opened = await open_pool(engine)
        if is_sqlite(database_url):
            assert (opened, connects) == (0, [])
            return
        assert (opened, len(connects)) == (3, 3)

        async def query() -> int:
            async with engine.connect() as connection:
                await asyncio.sleep(0.05)  # all three checked out at once
                return int(await connection.scalar(text("SELECT 1")) or 0)

        assert await asyncio.gather(query(), query(), query()) == [1, 1, 1]
        assert len(connects) == 3
    finally:
        await engine.dispose()
