"""Alembic migrations are the only way the schema is made: prove they build the models."""

from __future__ import annotations

import asyncio
from pathlib import Path

from advanced_alchemy.base import orm_registry
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from persistence import models  # noqa: F401  (registers the models)
from persistence.database import create_engine
from persistence.migrate import downgrade, upgrade


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, orm_registry.metadata))


async def _inspect(database_url: str) -> tuple[list[object], set[str]]:
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        differences = await connection.run_sync(_diff)
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return differences, tables


def test_migrated_postgres_schema_equals_the_models(fresh_postgres_database: str) -> None:
    upgrade(fresh_postgres_database)
    upgrade(fresh_postgres_database)  # idempotent: a second run changes nothing
    differences, tables = asyncio.run(_inspect(fresh_postgres_database))
    assert differences == []
    assert set(orm_registry.metadata.tables) <= tables


def test_sqlite_migrates_up_and_down(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/m.db"
    upgrade(url)
    downgrade(url, "base")
    upgrade(url)
    differences, tables = asyncio.run(_inspect(url))
    assert differences == []
    assert "wash_order" in tables
