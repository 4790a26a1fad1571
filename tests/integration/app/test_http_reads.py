"""Read-only sessions for GET handlers, on a real PostgreSQL: no transaction around their
statements, the engine's other sessions untouched, and the connection back in the pool
once the handler is done, whether it returned or raised."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import cast

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.http.reads import provide_reads, read_session_factory
from persistence.database import create_session_factory

pytestmark = pytest.mark.postgres

TRANSACTION_ID = text("SELECT txid_current()")


async def _second_statement_starts_its_own_transaction(session: AsyncSession) -> bool:
    first = await session.scalar(TRANSACTION_ID)
    second = await session.scalar(TRANSACTION_ID)
    return bool(first != second)


async def test_each_read_statement_runs_on_its_own(engine: AsyncEngine) -> None:
    async with read_session_factory(engine)() as session:
        assert await _second_statement_starts_its_own_transaction(session)


async def test_the_write_path_keeps_its_transaction(engine: AsyncEngine) -> None:
    read_session_factory(engine)
    async with create_session_factory(engine)() as session:
        assert not await _second_statement_starts_its_own_transaction(session)


async def test_a_read_sees_what_was_committed_when_it_started(engine: AsyncEngine) -> None:
    async with read_session_factory(engine)() as session:
        before = await session.scalar(text("SELECT count(*) FROM user_account"))
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO user_account (email, password_hash, full_name, role, is_active,"
                    " created_at, updated_at) VALUES ('r@example.com', 'x', 'R', 'customer',"
                    " true, now(), now())"
                )
            )
        after = await session.scalar(text("SELECT count(*) FROM user_account"))
    assert (before, after) == (0, 1)


def _reads(engine: AsyncEngine) -> AsyncGenerator[AsyncSession, None]:
    provider = provide_reads(read_session_factory(engine))
    return cast("AsyncGenerator[AsyncSession, None]", provider.dependency())


async def test_the_connection_goes_back_to_the_pool_after_the_handler(
    engine: AsyncEngine,
) -> None:
    reads = _reads(engine)
    session = await anext(reads)
    await session.execute(text("SELECT 1"))
    assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    with pytest.raises(StopAsyncIteration):
        await anext(reads)
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_the_connection_goes_back_when_the_handler_raised(engine: AsyncEngine) -> None:
    reads = _reads(engine)
    session = await anext(reads)
    await session.execute(text("SELECT 1"))
    with pytest.raises(LookupError):
        await reads.athrow(LookupError("the handler failed"))
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_reads_neither_flush_nor_expire() -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    factory = read_session_factory(create_async_engine("postgresql+asyncpg://u@127.0.0.1/x"))
    assert factory.kw["autoflush"] is False
    assert factory.kw["expire_on_commit"] is False
