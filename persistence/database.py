"""Engine construction: one place that knows how SQLite and PostgreSQL differ."""

from __future__ import annotations

from typing import Any

from asyncpg.exceptions import PostgresConnectionError
from sqlalchemy import event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

DATABASE_DOWN: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
    ConnectionError,
    PostgresConnectionError,
)
"""What reaching the database raises while it is down or restarting (refused connections,
connections dropped mid-query, an exhausted pool). None is the caller's fault: REST answers
503, live ops `database_unavailable`, background workers back off and try again."""
DATABASE_RETRY_AFTER_SECONDS = 5
"""What clients are told to wait before retrying while the database is down."""


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; on SQLite with WAL, foreign keys and a busy timeout.

    SQLite serialises writers; WAL plus a busy timeout turns concurrent writers into short
    waits instead of "database is locked" errors, which the embedded server relies on.
    """
    if is_sqlite(database_url):
        engine = create_async_engine(database_url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(database_url, **kwargs)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
