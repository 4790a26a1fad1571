"""Fixtures for tests that run against BOTH back-ends: a migrated SQLite file and a real
PostgreSQL, each migrated once per session with Alembic (the only way the schema is made).

`tests/conftest.py` registers them for every folder (a folder may define its own
`database_url` instead, as the PostgreSQL-only ones do); emptying the tables between tests
is each folder's own business, since what it builds on the database differs.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from persistence.migrate import upgrade


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test instead of migrated again."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrated_postgres_url(fresh_postgres_database: str) -> str:
    upgrade(fresh_postgres_database)
    return fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database on each back-end in turn (PostgreSQL's as the last test left it)."""
    if request.param == "sqlite":
        path = tmp_path / "database.db"
        shutil.copy(request.getfixturevalue("migrated_sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        yield request.getfixturevalue("migrated_postgres_url")
