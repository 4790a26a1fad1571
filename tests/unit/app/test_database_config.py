"""`app.asgi.database_config`: one app's database config keeps the keys it is given, however
many apps the process has built (a test run builds over a thousand)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.asgi import database_config


@pytest.fixture
def engine() -> Iterator[AsyncEngine]:
    engine = create_async_engine("sqlite+aiosqlite://")
    yield engine
    engine.sync_engine.dispose()


def test_more_apps_than_the_recursion_limit_each_get_their_own_keys(engine: AsyncEngine) -> None:
    configs = [database_config(engine) for _ in range(sys.getrecursionlimit() + 100)]
    for config in configs:
        n = config.engine_app_state_key.rsplit("_", 1)[-1]
        assert config.engine_app_state_key == f"washline_db_engine_{n}"
        assert config.session_maker_app_state_key == f"washline_db_session_maker_{n}"
        assert config.session_scope_key == f"washline_db_session_{n}"
    assert len({c.engine_app_state_key for c in configs}) == len(configs)


def test_the_session_dependency_keeps_its_name(engine: AsyncEngine) -> None:
    """Handlers ask for `db_session`; only the state and scope keys are per app."""
    assert database_config(engine).session_dependency_key == "db_session"
