"""Engine construction: one place that knows how SQLite and PostgreSQL differ."""

from __future__ import annotations

import asyncio
from typing import Any

from asyncpg.exceptions import (
    AdminShutdownError,
    CannotConnectNowError,
    CrashShutdownError,
    PostgresConnectionError,
)
from sqlalchemy import event, make_url
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import QueuePool


class DatabaseDisconnected(ConnectionError):
    """A pooled connection that PostgreSQL dropped (a restart, an outage), found by the first
    statement that used it. The driver reports it as a generic error; it is raised as this
    instead, so that it reads as the database being down (`DATABASE_DOWN`), not as a bug."""


DATABASE_DOWN: tuple[type[Exception], ...] = (
    DatabaseDisconnected,
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


DEFAULT_POOL_SIZE = 20
POOL_TIMEOUT_SECONDS = 30.0
"""How long a checkout waits for a free connection before `PoolTimeoutError` (a 503)."""
POOL_RECYCLE_SECONDS = 1800
"""Connections are replaced after this long, one at a time at checkout, not in bursts."""


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def create_engine(
    database_url: str, *, pool_size: int = DEFAULT_POOL_SIZE, **kwargs: Any
) -> AsyncEngine:
    """An async engine; on SQLite with WAL, foreign keys and a busy timeout.

    SQLite serialises writers; WAL plus a busy timeout turns concurrent writers into short
    waits instead of "database is locked" errors, which the embedded server relies on.

    The pool is fixed: `pool_size` connections, no overflow (an in-memory SQLite database
    keeps its one shared connection). An overflow connection is opened for a burst and
    closed when it is returned, so every burst above the pool size paid a connect per
    request (on PostgreSQL authentication and a backend fork, on SQLite a thread and the
    pragmas above); a fixed pool instead makes the burst wait a few milliseconds for a
    connection. No ping per checkout either (a round trip on every request): a connection
    PostgreSQL dropped fails its first statement with a disconnect error, which the edges
    answer 503, and SQLAlchemy then invalidates every connection opened before it, so the
    pool refills with live ones.
    """
    if is_sqlite(database_url):
        if not _in_memory(database_url):
            kwargs.setdefault("pool_size", pool_size)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
        engine = create_async_engine(database_url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    kwargs.setdefault("pool_pre_ping", False)
    engine = create_async_engine(database_url, pool_size=pool_size, **kwargs)
    event.listen(engine.sync_engine, "handle_error", _disconnect_as_database_down)
    return engine


async def open_pool(engine: AsyncEngine) -> int:
    """Open every connection of a PostgreSQL engine's pool now and put them back: the pool
    otherwise opens them one by one at the first bursts of traffic, each connect (a backend
    fork and authentication) in a request's time. Returns how many connections the pool holds
    idle afterwards; on SQLite, where a connection is a file handle, nothing is done. A
    connect that fails is raised once the others are back in the pool."""
    if engine.dialect.name != "postgresql":
        return 0
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return 0
    opened = await asyncio.gather(
        *(engine.connect().start() for _ in range(pool.size())), return_exceptions=True
    )
    failure: BaseException | None = None
    for connection in opened:
        if isinstance(connection, BaseException):
            failure = failure or connection
        else:
            await connection.close()
    if failure is not None:
        raise failure
    return pool.checkedin()


def _in_memory(database_url: str) -> bool:
    """An in-memory SQLite database: its pool is one shared connection (no size to set)."""
    url = make_url(database_url)
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _disconnect_as_database_down(context: ExceptionContext) -> BaseException | None:
    """Raise `DatabaseDisconnected` for a statement that found its connection dropped (the
    pool still invalidates the connection, and those opened before it).

    Only for errors: a cancelled task also counts as a disconnect (its connection is
    terminated), and turning that cancellation into an error would keep the task running."""
    original = context.original_exception
    if (
        context.is_disconnect
        and isinstance(original, Exception)
        and not isinstance(context.sqlalchemy_exception, DATABASE_DOWN)
    ):
        return DatabaseDisconnected(str(original))
    return None


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


RESTARTING: tuple[type[BaseException], ...] = (
    PostgresConnectionError,
    ConnectionError,
    AdminShutdownError,
    CrashShutdownError,
    CannotConnectNowError,
)
"""Driver errors of a server going down or coming back ("the database system is not yet
accepting connections", "terminating connection due to administrator command")."""


def lost_connection(exc: DBAPIError) -> bool:
    """A driver error that SQLAlchemy could not classify, raised because the connection went
    away mid-query or the server is still starting (asyncpg's "connection was closed in the
    middle of operation" and "not yet accepting connections" arrive as a bare `DBAPIError`):
    the database restarting, not a fault of the request."""
    if exc.connection_invalidated:
        return True
    cause: BaseException | None = exc.orig
    while cause is not None:
        if isinstance(cause, RESTARTING):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def database_outage(exc: BaseException) -> bool:
    """Whether `exc` is the database being down or restarting (the live ops ask this too)."""
    if isinstance(exc, DATABASE_DOWN):
        return True
    return isinstance(exc, DBAPIError) and lost_connection(exc)
