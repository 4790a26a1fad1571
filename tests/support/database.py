"""Database set-up shared by the test layers: empty tables and users made directly."""

from __future__ import annotations

from advanced_alchemy.base import orm_registry
from sqlalchemy import text

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
