"""Event frames go to the server's `send` directly, past the per-message HTTP wrappers.

Every ASGI message a handler sends passes through each `send` wrapper between it and the
server: Litestar's WebSocket disconnect check and exception middleware, and whatever
middleware runs for WebSockets (`app.asgi` keeps the HTTP-only ones off them). On an
accepted socket they inspect each frame and pass it on. Profiles of the fan-out benchmark
put them at ~15 % of the server's CPU under broadcast load (docs/benchmarks.md, "CPU per
delivery"), so the live socket's writer sends event frames with the server protocol's own
`send` (`app.ws_protocol`), past Litestar's `before_send` hooks too, and the fan-out writes
through the protocol's `write_now` without any `send` at all while the peer keeps up.
Accept and close still go through Litestar, so everything the middlewares do for the
handshake and the close stands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from litestar import WebSocket
from litestar.types import Scope, Send

from app.ws_protocol import WIRE_SCOPE_KEY, BoundedWebSocketProtocol

DIRECT_SEND_KEY = "washline.direct_send"


def remember_direct_send(scope: Scope, send: Send) -> None:
    """Keep the `send` a WebSocket's connection was called with, before any middleware wraps
    it (`app.asgi.WashlineApp` calls this first thing, for WebSocket scopes only)."""
    scope[DIRECT_SEND_KEY] = send  # type: ignore[literal-required]


def direct_send(socket: WebSocket[Any, Any, Any]) -> Send:
    """The socket's unwrapped `send`: the server protocol's own under ``washline serve``
    (past Litestar's `before_send` hooks too, which are for HTTP responses), else the one
    Litestar was called with, else Litestar's (e.g. mounted in another app)."""
    wire = socket.scope.get(WIRE_SCOPE_KEY)
    if isinstance(wire, BoundedWebSocketProtocol):
        return cast("Send", wire.send)
    captured = cast("Send | None", socket.scope.get(DIRECT_SEND_KEY))
    return captured if captured is not None else socket.send


def inline_writer(socket: WebSocket[Any, Any, Any]) -> Callable[[bytes], bool] | None:
    """The server protocol's synchronous `write_now(text) -> bool` when the socket is served
    by `app.ws_protocol.BoundedWebSocketProtocol` (``washline serve``); None otherwise, and
    the socket's frames all go through its writer."""
    wire = socket.scope.get(WIRE_SCOPE_KEY)
    return wire.write_now if isinstance(wire, BoundedWebSocketProtocol) else None
