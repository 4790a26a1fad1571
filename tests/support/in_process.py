"""A real uvicorn server in the test's own event loop, for tests that must reach inside the
app (inject a failure, change a setting) or share its database fixtures. It speaks HTTP and
WebSocket with the same protocol classes as `washline serve`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from litestar import Litestar

from app.http_protocol import HeaderTimeoutProtocol
from app.ws_protocol import BoundedWebSocketProtocol
from tests.support.services import free_port


@asynccontextmanager
async def serve_in_process(app: Litestar) -> AsyncIterator[str]:
    """Serve `app` on a free port until the block ends; yields `host:port`."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        http=HeaderTimeoutProtocol,
        ws=BoundedWebSocketProtocol,
        log_level="warning",
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
