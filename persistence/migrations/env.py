"""Alembic environment: runs migrations over the application's async engine."""

from __future__ import annotations

import asyncio

from advanced_alchemy.base import orm_registry
from alembic import context
from sqlalchemy.engine import Connection

from persistence.database import create_engine
from persistence.models import User  # noqa: F401  (registers every model on the metadata)

target_metadata = orm_registry.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")

connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_online())
