"""Database set-up shared by the test layers: empty tables and users made directly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from advanced_alchemy.base import orm_registry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.services.accounts import create_user
from app.settings import Settings
from domain.roles import Role
from persistence import models  # noqa: F401  (registers every table)
from persistence.database import create_engine, create_session_factory

PASSWORD = "correct-horse-battery"
TABLES = ", ".join(orm_registry.metadata.tables)


async def truncate_all(database_url: str) -> None:
    """Empty every table of a PostgreSQL database (ids restart at 1)."""
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@asynccontextmanager
async def emptied_postgres(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a PostgreSQL database whose tables were just emptied; for tests that need
    several connections at once (locks, races), which the one-session fixtures do not give."""
    await truncate_all(database_url)
    engine = create_engine(database_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def add_user(settings: Settings, email: str, role: Role, name: str = "Test User") -> int:
    """Create a user straight in the database (password `PASSWORD`); returns its id."""
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            user = await create_user(
                session, settings, email=email, password=PASSWORD, full_name=name, role=role
            )
            return user.id
    finally:
        await engine.dispose()


async def wait_until_blocked_on_a_lock(watcher: AsyncSession, waiting: asyncio.Task[Any]) -> int:
    """PostgreSQL: poll (up to about five seconds) until a backend of this database waits on
    a lock or `waiting` ends; how many backends wait then.

    Each poll ends its transaction: PostgreSQL keeps the first view of `pg_stat_activity`
    a transaction took for the rest of it, so polling inside one transaction would see a
    backend that started waiting after the first poll never."""
    blocked = 0
    for _ in range(500):
        blocked = int(
            await watcher.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            or 0
        )
        await watcher.rollback()
        if blocked or waiting.done():
            break
        await asyncio.sleep(0.01)
    return blocked
