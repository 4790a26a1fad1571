"""uvicorn's WebSocket protocol (websockets' sans-I/O implementation), bounded against a
peer that sends but never reads, and able to take a frame without a task switch.

Every ping a client sends is answered with a pong written straight to the socket, outside
the application's flow control. A client that floods pings and never reads makes those
pongs pile up in the server's write buffer without limit (one socket took a process from
128 MB to 852 MB). Here a ping that finds more than `MAX_UNREAD_BYTES` already waiting
for the peer drops the connection at once: a peer that does not read cannot be told more
politely, because it would not read a close frame either.

`write_now` is the fan-out's fast path (`app.live.ws`): uvicorn's ASGI `send` is a
coroutine, so each frame sent through it costs the caller an await; but when the peer keeps
up, the write itself never waits. `write_now` writes a text frame synchronously when the
transport is not paused by flow control, and declines otherwise, so that the caller queues
the frame and a writer task waits for the peer instead.
"""

from __future__ import annotations

import logging

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState

MAX_UNREAD_BYTES = 256 * 1024
"""What the server holds for one peer that is not reading, beyond what flow control holds."""

log = logging.getLogger(__name__)


class BoundedWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_ping(self) -> None:
        if self.transport.get_write_buffer_size() > MAX_UNREAD_BYTES:
            log.warning("dropping a WebSocket peer that sends pings but does not read")
            self.transport.abort()
            return
        super().handle_ping()

    def write_now(self, text: bytes) -> bool:
        """Write one text frame (UTF-8 ``text``) now if the peer is taking what it is sent:
        the socket is open and its write buffer is below the high-water mark. False, having
        written nothing, otherwise; never waits and never raises."""
        if (
            self.close_sent
            or self.disconnected
            or not self.handshake_complete
            or self.initial_response is not None
            or not self.writable.is_set()
            or self.transport.is_closing()
        ):
            return False
        try:
            self.conn.send_text(text)
        except InvalidState:
            return False
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True
