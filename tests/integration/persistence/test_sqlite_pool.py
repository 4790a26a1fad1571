"""The SQLite file pool is fixed: bursts of concurrent sessions reuse its connections instead
of opening (and closing) one per request past the pool's size."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from persistence.database import create_engine, create_session_factory

POOL_SIZE = 4
IN_FLIGHT = 12
ROUNDS = 5


async def test_bursts_above_the_pool_size_open_no_new_connections(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}", pool_size=POOL_SIZE)
    connects = 0

    def count(*_args: Any) -> None:
        nonlocal connects
        connects += 1

    event.listen(engine.sync_engine.pool, "connect", count)
    factory = create_session_factory(engine)
    started = asyncio.Event()

    async def one_request() -> None:
        async with factory() as session:
            await session.execute(text("SELECT 1"))
            await started.wait()  # every request holds its connection until all have asked

    try:
        per_round = []
        for _ in range(ROUNDS):
            started.clear()
            tasks = [asyncio.create_task(one_request()) for _ in range(IN_FLIGHT)]
            await asyncio.sleep(0.2)
            started.set()
            await asyncio.wait_for(asyncio.gather(*tasks), 30)
            per_round.append(connects)
        assert connects <= POOL_SIZE
        assert per_round[-1] == per_round[0]  # nothing opened after the first burst
    finally:
        await engine.dispose()


async def test_an_in_memory_database_keeps_its_one_connection() -> None:
    engine = create_engine("sqlite+aiosqlite:///:memory:", pool_size=POOL_SIZE)
    try:
        async with create_session_factory(engine)() as session:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
