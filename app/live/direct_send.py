"""Event frames go to the server's `send` directly, past the per-message HTTP wrappers.

Every ASGI message a handler sends passes through each middleware's `send` wrapper: Litestar's
WebSocket disconnect check, the Prometheus and exception middlewares, the request-id
middleware. They exist for HTTP responses; on an accepted socket they inspect each frame and
pass it on. Profiles of the fan-out benchmark put them at ~15 % of the server's CPU under
broadcast load (docs/benchmarks.md, "CPU per delivery"), so the live socket's writer sends
event frames with the `send` Litestar itself was called with. Accept and close still go
through Litestar, so everything the middlewares do for the handshake and the close stands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from litestar import WebSocket
from litestar.types import ASGIApp, Receive, Scope, Send

DIRECT_SEND_KEY = "washline.direct_send"


class CaptureDirectSend:
    """Outermost wrapper of the app's ASGI handler: remembers a WebSocket's own `send`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[DIRECT_SEND_KEY] = send  # type: ignore[literal-required]
        await self.app(scope, receive, send)


def direct_send(socket: WebSocket[Any, Any, Any]) -> Send:
    """The socket's unwrapped `send` (Litestar's own when the app was built without the
    capture, e.g. mounted in another app)."""
    captured = cast("Send | None", socket.scope.get(DIRECT_SEND_KEY))
    return captured if captured is not None else socket.send


def inline_writer(socket: WebSocket[Any, Any, Any]) -> Callable[[bytes], bool] | None:
    """The server protocol's synchronous `write_now(text) -> bool`, when the socket is served
    by `app.ws_protocol.BoundedWebSocketProtocol` (``washline serve``); None otherwise, and
    the socket's frames all go through its writer."""
    send = socket.scope.get(DIRECT_SEND_KEY)
    write_now = getattr(getattr(send, "__self__", None), "write_now", None)
    return cast("Callable[[bytes], bool]", write_now) if callable(write_now) else None
