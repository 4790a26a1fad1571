"""Event frames go to the server's `send` directly, past the per-message HTTP wrappers.

Every ASGI message a handler sends passes through each `send` wrapper between it and the
server: Litestar's WebSocket disconnect check and exception middleware, and whatever
middleware runs for WebSockets (`app.asgi` keeps the HTTP-only ones off them). They exist
for HTTP responses; on an accepted socket they inspect each frame and
pass it on. Profiles of the fan-out benchmark put them at ~15 % of the server's CPU under
broadcast load (docs/benchmarks.md, "CPU per delivery"), so the live socket's writer sends
event frames with the server protocol's own `send` (`app.ws_protocol`), past Litestar's
`before_send` hooks too, and the fan-out writes through the protocol's `write_now` without
any `send` at all while the peer keeps up. The handshake (accept, or a refusal and its
close) still goes through Litestar, so everything the middlewares do for it stands; once a
live session starts, the handler hands the connection's life out of the middleware stack
(`hand_off`), and its reads and close use the protocol's own `receive` and `send`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, cast

import structlog
from litestar import WebSocket
from litestar.types import Scope, Send

from app.logs import RequestContext, current_request, restore_request
from app.ws_protocol import WIRE_SCOPE_KEY, BoundedWebSocketProtocol

DIRECT_SEND_KEY = "washline.direct_send"
HANDOFF_KEY = "washline.handoff"
"""Scope key of what a WebSocket handler leaves to run after the application returned."""

Run = Callable[[], Awaitable[None]]


def remember_direct_send(scope: Scope, send: Send) -> None:
    """Keep the `send` a WebSocket's connection was called with, before any middleware wraps
    it, and make room for a hand-off (`app.asgi.WashlineApp` calls this first thing, for
    WebSocket scopes only)."""
    scope[DIRECT_SEND_KEY] = send  # type: ignore[literal-required]
    scope[HANDOFF_KEY] = None  # type: ignore[literal-required]


async def run_handed_off(scope: Scope) -> None:
    """Run what the WebSocket handler handed off (`hand_off`), once the application and its
    middlewares have returned.

    A live socket lasts hours; while its handler runs inside the application, every
    middleware's coroutine frame and `send` wrapper around it lives as long (Litestar's
    router, exception and authentication middlewares, the request-id middleware: ~5 KB per
    idle connection, docs/benchmarks.md "Live path speed"). They are for the handshake; once
    it is done the handler hands the connection's life out here, to the app's entry point,
    whose one frame is all that stays."""
    run = cast("Run | None", scope.pop(HANDOFF_KEY, None))  # type: ignore[misc]
    if run is not None:
        life = run()
        del run  # held by nothing but the running connection from here on
        await life


def hand_off(socket: WebSocket[Any, Any, Any], run: Run) -> bool:
    """Leave ``run`` (the accepted connection's life) to `run_handed_off`, to be awaited
    once the application and its middlewares have returned; False when no such wrapper is
    outside (the app mounted elsewhere), and the caller runs it itself. The log context
    bound for the request (request id, client) is bound again around ``run``."""
    scope = socket.scope
    if HANDOFF_KEY not in scope:
        return False
    bound = structlog.contextvars.get_contextvars()
    request = current_request()
    scope[HANDOFF_KEY] = partial(_in_log_context, bound, request, run)  # type: ignore[literal-required]
    return True


async def _in_log_context(bound: dict[str, Any], request: RequestContext | None, run: Run) -> None:
    # Bound, not scoped: the connection's task ends with ``run``, and its context with it
    # (a context manager here would be one more object per idle connection).
    structlog.contextvars.bind_contextvars(**bound)
    restore_request(request)
    del bound, request
    await run()


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
