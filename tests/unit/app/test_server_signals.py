"""`app.server.DrainingServer` replaces uvicorn's SIGTERM handling by overriding
`uvicorn.Server.handle_exit`, which uvicorn installs as its signal handler but does not
document (there is no public hook for what a signal does). These tests pin what the override
relies on, so an upstream change fails here, loudly, instead of in a rolling deploy."""

from __future__ import annotations

import asyncio
import inspect
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest
import uvicorn
from sse_starlette.sse import AppStatus

from app.server import DrainingServer
from tests.support.services import free_port


async def empty_app(scope: Any, receive: Any, send: Any) -> None:
    """An ASGI app that is never called: the test only signals the server."""


def server(drain_delay: float) -> DrainingServer:
    config = uvicorn.Config(
        empty_app, host="127.0.0.1", port=free_port(), lifespan="off", log_config=None
    )
    return DrainingServer(config, drain_delay)


def uvicorns_own_handle_exit() -> Any:
    """`uvicorn.Server.handle_exit` as uvicorn defines it: importing sse-starlette (as the
    SSE transport does) replaces it with a wrapper that calls the original."""
    handler = uvicorn.Server.handle_exit
    if handler is AppStatus.handle_exit:
        handler = AppStatus.original_handler
    return handler


def test_uvicorn_still_has_the_handler_with_the_signature_the_override_keeps() -> None:
    upstream = uvicorns_own_handle_exit()
    assert (upstream.__module__, upstream.__qualname__) == ("uvicorn.server", "Server.handle_exit")
    assert list(inspect.signature(upstream).parameters) == ["self", "sig", "frame"]
    assert list(inspect.signature(DrainingServer.handle_exit).parameters) == [
        "self",
        "sig",
        "frame",
    ]


def test_uvicorn_installs_the_override_for_sigterm_and_sigint() -> None:
    instance = server(drain_delay=0)
    with instance.capture_signals():
        assert signal.getsignal(signal.SIGTERM) == instance.handle_exit
        assert signal.getsignal(signal.SIGINT) == instance.handle_exit


@pytest.fixture
def sigterms_after_serving() -> Iterator[list[int]]:
    """SIGTERMs delivered once the server restored the handler it found: uvicorn re-raises
    the signals its own handler captured, which would end the test process."""
    seen: list[int] = []

    def record(sig: int, _frame: FrameType | None) -> None:
        seen.append(sig)

    previous = signal.signal(signal.SIGTERM, record)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGTERM, previous)


async def test_a_sigterm_drains_first_then_exits_cleanly(sigterms_after_serving: list[int]) -> None:
    instance = server(drain_delay=0.5)
    serving = asyncio.create_task(instance.serve())
    for _ in range(250):
        if instance.started:
            break
        assert not serving.done(), "the server stopped during start-up"
        await asyncio.sleep(0.02)
    assert instance.started
    signal.raise_signal(signal.SIGTERM)
    await asyncio.sleep(0.1)
    assert not instance.should_exit, "uvicorn's own handler ran: it stops without draining"
    await asyncio.wait_for(serving, 10)
    assert instance.should_exit
    assert sigterms_after_serving == [], "uvicorn captured the signal and re-raised it on exit"
