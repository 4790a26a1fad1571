"""A live socket's life runs after the application and its middlewares have returned
(`app.live.direct_send`): none of their frames lives as long as the connection, the log
context of the handshake still holds, and without the outer wrapper the handler runs the
connection itself."""

from __future__ import annotations

from typing import Any, cast

import structlog
from litestar import WebSocket

from app.live.direct_send import hand_off, remember_direct_send, run_handed_off


class _Socket:
    """Just what `hand_off` reads of Litestar's WebSocket: its scope."""

    def __init__(self, scope: dict[str, Any]) -> None:
        self.scope = scope


def _as_socket(scope: dict[str, Any]) -> WebSocket[Any, Any, Any]:
    return cast("WebSocket[Any, Any, Any]", _Socket(scope))


async def _receive() -> Any:
    return {"type": "websocket.connect"}


async def _send(message: Any) -> None:
    return None


async def test_the_connection_runs_after_every_middleware_returned() -> None:
    events: list[str] = []

    async def connection_life() -> None:
        events.append(f"life (request {structlog.contextvars.get_contextvars().get('rid')})")

    async def handler(scope: Any, receive: Any, send: Any) -> None:
        assert hand_off(_as_socket(scope), connection_life) is True
        events.append("handler returned")

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        with structlog.contextvars.bound_contextvars(rid="r-1"):
            try:
                await handler(scope, receive, send)
            finally:
                events.append("middleware returned")

    scope: dict[str, Any] = {"type": "websocket"}
    # What the app's entry point (`app.asgi.WashlineApp`) does for a WebSocket scope.
    remember_direct_send(scope, _send)  # type: ignore[arg-type]
    await middleware(scope, _receive, _send)
    await run_handed_off(scope)  # type: ignore[arg-type]
    assert events == ["handler returned", "middleware returned", "life (request r-1)"]
    assert "washline.handoff" not in scope


async def test_without_the_outer_wrapper_the_handler_keeps_the_connection() -> None:
    async def never() -> None:
        raise AssertionError("not to be handed off")

    assert hand_off(_as_socket({"type": "websocket"}), never) is False
