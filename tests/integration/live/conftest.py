"""An in-process server for live tests that must reach inside it (inject a failure, change a
setting): a real uvicorn with the production WebSocket implementation, in the test's loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from app.asgi import build_app
from app.bootstrap import Washline
from app.ws_protocol import BoundedWebSocketProtocol
from persistence.migrate import upgrade
from tests.support.api import test_settings as settings_for
from tests.support.services import free_port


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
    app = build_app(washline)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, ws=BoundedWebSocketProtocol, log_level="warning"
    )
    instance = uvicorn.Server(config)
    task = asyncio.create_task(instance.serve())
    while not instance.started:
        assert not task.done(), "the server stopped during start-up"
        await asyncio.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        await asyncio.wait_for(task, 30)
