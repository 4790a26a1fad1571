"""uvicorn's WebSocket protocol (websockets' sans-I/O implementation), bounded against a
peer that sends but never reads.

Every ping a client sends is answered with a pong written straight to the socket, outside
the application's flow control. A client that floods pings and never reads makes those
pongs pile up in the server's write buffer without limit (one socket took a process from
128 MB to 852 MB). Here a ping that finds more than `MAX_UNREAD_BYTES` already waiting
for the peer drops the connection at once: a peer that does not read cannot be told more
politely, because it would not read a close frame either.
"""

from __future__ import annotations

import logging

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

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
