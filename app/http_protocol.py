"""uvicorn's HTTP protocol (httptools) with a deadline on reading a request's headers.

uvicorn times out a keep-alive connection that stays idle between requests, but nothing
bounds the time a client takes to send the headers themselves: a connection that sends
nothing, or half a request line, or one header every few seconds, is held until the client
gives up (1,000 such connections were held 70 s). Each one is a file descriptor and a slot
that real clients need. Here a connection must finish its headers within
`HTTP_HEADER_TIMEOUT_SECONDS` of opening, or of the first byte of a later request on the same
connection; otherwise it is answered 408 and closed. Only the headers are timed: a slow body,
a long request, a WebSocket or an SSE stream is not affected.

The 408 is followed by a half-close, not a close: a client still sending (a trickle of header
lines) would otherwise make the kernel answer its next bytes with a reset, which discards the
408 it has not read yet. The connection's reads are drained and dropped for `LINGER_SECONDS`,
then it is closed whatever the client does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

_BODY = json.dumps(
    {"code": "request_timeout", "message": "the request headers did not arrive in time"}
).encode()
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: application/json\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _BODY
)


LINGER_SECONDS = 2.0
"""How long a timed-out connection is drained after its 408 before it is closed."""


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """The timer runs from the connection's start (or, on a kept-alive connection, from the
    first byte of the next request) until the parser has the whole header block."""

    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._timed_out = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()

    def data_received(self, data: bytes) -> None:
        if self._timed_out:
            return  # answered 408: what still arrives is drained and dropped
        # The keep-alive timer runs only while the connection waits between requests: these
        # bytes begin the next request, whose headers are now on the clock.
        if self.timeout_keep_alive_task is not None:
            self._start_header_timer()
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_header_timer()

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _start_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        log.info("closing a connection whose request headers took over %ss", self.header_timeout)
        self._timed_out = True
        self.transport.write(TIMEOUT_RESPONSE)
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()  # the 408, then FIN; reads go on being drained
        self._header_timer = self.loop.call_later(LINGER_SECONDS, self.transport.close)


def http_protocol(header_timeout: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class uvicorn instantiates per connection, with this deadline."""
    return type(
        "HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": header_timeout}
    )
