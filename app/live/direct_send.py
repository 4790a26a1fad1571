"""Event frames go to the server's `send` directly, past the per-message HTTP wrappers.

Every ASGI message a handler sends passes through each middleware's `send` wrapper: Litestar's
WebSocket disconnect check, the Prometheus and exception middlewares, the request-id
middleware. They exist for HTTP responses; on an accepted socket they inspect each frame and
pass it on. Profiles of the fan-out benchmark put them at ~15 % of the server's CPU under
broadcast load (docs/benchmarks.md, "CPU per delivery"), so the live socket's writer sends
event frames with the server protocol's own `send` (`app.ws_protocol`), past Litestar's
`before_send` hooks too, and the fan-out writes through the protocol's `write_now` without
any `send` at all while the peer keeps up. Accept and close still go through Litestar, so
everything the middlewares do for the handshake and the close stands.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, cast

from litestar import WebSocket
from litestar.types import ASGIApp, Receive, Scope, Send

from app.ws_protocol import WIRE_SCOPE_KEY, BoundedWebSocketProtocol

DIRECT_SEND_KEY = "washline.direct_send"


class CaptureDirectSend:
    """Outermost wrapper of the app's ASGI handler: remembers a WebSocket's own `send`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: no frame of this wrapper stays alive for a socket's lifetime.
        if scope["type"] == "websocket":
            scope[DIRECT_SEND_KEY] = send  # type: ignore[literal-required]
        return self.app(scope, receive, send)


def direct_send(socket: WebSocket[Any, Any, Any]) -> Send:
    """The socket's unwrapped `send`: the server protocol's own under ``washline serve``
    (past Litestar's `before_send` hooks too, which are for HTTP responses), else the one
    Litestar was called with, else Litestar's (e.g. mounted in another app)."""
    wire = socket.scope.get(WIRE_SCOPE_KEY)
    if isinstance(wire, BoundedWebSocketProtocol):
        return cast("Send", wire.send)
    captured = cast("Send | None", socket.scope.get(DIRECT_SEND_KEY))
    return captured if captured is not None else socket.send


def inline_writer(socket: WebSocket[Any, Any, Any]) -> BoundedWebSocketProtocol | None:
    """The server protocol, whose synchronous `write_now(text) -> bool` and
    `write_framed_now(text, framed) -> bool` take a frame inline, when the socket is served
    by `app.ws_protocol.BoundedWebSocketProtocol` (``washline serve``); None otherwise, and
    the socket's frames all go through its writer."""
    wire = socket.scope.get(WIRE_SCOPE_KEY)
    return wire if isinstance(wire, BoundedWebSocketProtocol) else None
