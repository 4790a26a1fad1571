"""An in-process server for live tests that must reach inside it (inject a failure, change a
setting): `tests.support.in_process.serve_in_process` around a `Washline` of the test's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.asgi import build_app
from app.bootstrap import Washline
from persistence.migrate import upgrade
from tests.support.api import test_settings as settings_for
from tests.support.in_process import serve_in_process


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Settings a test module changes for its server (override the fixture)."""
    return {}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ws.db'}"
    upgrade(url)
    return url


@pytest.fixture
def washline(database_url: str, settings_overrides: dict[str, object]) -> Washline:
    return Washline(settings_for(database_url, **settings_overrides))


@pytest.fixture
async def server(washline: Washline) -> AsyncIterator[str]:
    """A uvicorn server in this event loop serving `washline`; yields its base URL."""
    async with serve_in_process(build_app(washline)) as address:
        yield address
