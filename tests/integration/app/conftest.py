"""A migrated PostgreSQL database for the application modules' own tests: migrated once per
session with Alembic, emptied before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.settings import Settings
from persistence.database import create_engine, create_session_factory
from tests.support.api import test_settings
from tests.support.database import truncate_all


@pytest.fixture
async def database_url(migrated_postgres_url: str) -> str:
    """The migrated database, with every table empty."""
    await truncate_all(migrated_postgres_url)
    return migrated_postgres_url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return test_settings(database_url)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    created = create_engine(database_url)
    yield created
    await created.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)
