"""Read-only database sessions for GET handlers (`reads: AsyncSession`).

A handler that only reads needs none of the write path's bookkeeping: no transaction (on
PostgreSQL the driver otherwise sends BEGIN before the first query and ROLLBACK when the
session closes, two round trips around a one-query read), no commit-or-rollback decision
after the response, no flush before each query. These sessions run on the same engine and
pool in autocommit mode: each statement sees what was committed when it started. A handler
whose answer must be one consistent snapshot of several reads takes `db_session` instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

READS = "reads"
"""The dependency's name (`app.http.answers` counts it as using the database)."""


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"),
        expire_on_commit=False,
        autoflush=False,
    )


def provide_reads(factory: async_sessionmaker[AsyncSession]) -> Provide:
    """A session per request, closed (its connection back in the pool) after the handler."""

    async def reads() -> AsyncIterator[AsyncSession]:
        session = factory()
        try:
            yield session
        finally:
            await session.close()

    return Provide(reads)
