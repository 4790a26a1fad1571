"""Which `send` the live socket's writer uses: the server protocol's own under `washline
serve`, else the one the outermost wrapper captured, else Litestar's; and the wrapper
captures it for WebSockets only, without a coroutine frame of its own."""

from __future__ import annotations

from typing import Any

from litestar import WebSocket
from litestar.types import Message, Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.server import ServerState

from app.live.direct_send import (
    DIRECT_SEND_KEY,
    direct_send,
    inline_writer,
    remember_direct_send,
)
from app.ws_protocol import WIRE_SCOPE_KEY, BoundedWebSocketProtocol


async def _server_send(message: Message) -> None:
    """The `send` a server hands the outermost ASGI app."""


async def _receive() -> Message:
    return {"type": "websocket.connect"}


def _scope(kind: str = "websocket", **extra: Any) -> dict[str, Any]:
    return {"type": kind, "path": "/ws", "headers": [], "query_string": b"", **extra}


def _socket(scope: dict[str, Any], send: Send = _server_send) -> WebSocket[Any, Any, Any]:
    return WebSocket(scope, receive=_receive, send=send)  # type: ignore[arg-type]


def _protocol() -> BoundedWebSocketProtocol:
    async def app(scope: Scope, receive: Receive, send: Send) -> None: ...

    config = Config(app)
    config.load()
    return BoundedWebSocketProtocol(config=config, server_state=ServerState(), app_state={})


def test_the_send_a_websocket_was_called_with_is_remembered_in_its_scope() -> None:
    """What the app's entry point does for a WebSocket scope (`app.asgi.WashlineApp`; that
    HTTP scopes carry nothing is checked on a real server in `test_api_stack`)."""
    scope = _scope()
    remember_direct_send(scope, _server_send)  # type: ignore[arg-type]
    assert scope[DIRECT_SEND_KEY] is _server_send
    assert direct_send(_socket(scope)) is _server_send


def test_the_captured_send_is_used_past_litestars_wrappers() -> None:
    async def wrapped(message: Message) -> None: ...

    socket = _socket(_scope(**{DIRECT_SEND_KEY: _server_send}), send=wrapped)
    assert direct_send(socket) is _server_send
    assert inline_writer(socket) is None


def test_without_a_captured_send_litestars_own_is_used() -> None:
    socket = _socket(_scope())
    assert direct_send(socket) == socket.send
    assert inline_writer(socket) is None


async def test_under_the_servers_protocol_its_own_send_and_writer_are_used() -> None:
    protocol = _protocol()
    socket = _socket(_scope(**{WIRE_SCOPE_KEY: protocol, DIRECT_SEND_KEY: _server_send}))
    assert direct_send(socket) == protocol.send
    writer = inline_writer(socket)
    assert writer is protocol  # its write_now and write_framed_now take frames inline
    assert writer.write_now(b'{"type":"event"}') is False  # no connection yet: nothing taken


def test_something_else_under_the_wire_key_is_not_taken_for_the_protocol() -> None:
    socket = _socket(_scope(**{WIRE_SCOPE_KEY: object(), DIRECT_SEND_KEY: _server_send}))
    assert direct_send(socket) is _server_send
    assert inline_writer(socket) is None
