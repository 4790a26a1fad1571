"""Every 429 says when to come back: `Retry-After` (RFC 9110, section 10.2.3).

Limits answer 429 from several places: the per-address middleware (which sends only the
draft `RateLimit-*` headers), the per-account login limit, the chat flood limit. A client
should not have to know which one it hit, so one wrapper around the whole application
adds `Retry-After` to any 429 that lacks it, from `RateLimit-Reset` when there is one.
"""

from __future__ import annotations

from collections.abc import Awaitable

from litestar import Litestar
from litestar.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_RETRY_AFTER_SECONDS = 10
"""For a 429 that says nothing of its window: the chat limit's (ten messages in ten seconds)."""


def retry_after(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The `Retry-After` value a 429 with these headers should get, or None if it has one."""
    reset = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"retry-after":
            return None
        if lowered == b"ratelimit-reset":
            reset = value
    try:
        seconds = int(reset) if reset is not None else DEFAULT_RETRY_AFTER_SECONDS
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER_SECONDS
    return str(max(1, seconds)).encode()


class RetryAfterMiddleware:
    """Adds `Retry-After` to HTTP 429 responses; WebSockets pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine for WebSockets: no frame of this wrapper stays alive per socket.
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_retry_after(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 429:
                headers = list(message.get("headers", []))
                value = retry_after(headers)
                if value is not None:
                    message = {**message, "headers": [*headers, (b"retry-after", value)]}
            await send(message)

        await self.app(scope, receive, send_with_retry_after)


def with_retry_after(app: Litestar) -> Litestar:
    """Wrap the whole application (like `app.logs.with_request_ids`): a 429 from the
    middleware stack is built outside any route's own wrappers."""
    app.asgi_handler = RetryAfterMiddleware(app.asgi_handler)
    return app
