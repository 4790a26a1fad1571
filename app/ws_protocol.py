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
up, the write itself never waits. `write_now` takes a text frame synchronously when the
transport is not paused by flow control, and declines otherwise, so that the caller queues
the frame and a writer task waits for the peer instead.

A frame taken by `write_now` is *corked*: it waits in the sans-I/O connection's own output
(``conn.data_to_send()``), and one callback per event-loop turn writes each corked socket's
frames with one `transport.write`. uvloop writes to the socket inside `transport.write`
whenever nothing is buffered, so writing each frame at once cost a `write(2)` per frame per
socket: under a broadcast backlog that syscall was ~57 % of the server's thread
(docs/benchmarks.md, "W1 under saturation"). Order holds because every other writer of
this connection (uvicorn's `send`, pongs, pings, close) takes ``data_to_send()`` too, so
corked frames leave before anything written after them.

Thousands of these sit idle per process, so the protocol also lets go of what it holds only
for the handshake (the parsed request and response with their headers) once the socket is
accepted, and its inbound queue holds a deque and a future only while a message waits:
uvicorn's `asyncio.Queue` keeps three deques and an `Event` per connection for life.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.protocol import State

WIRE_SCOPE_KEY = "washline.wire"
"""Scope key under which the protocol puts itself for the app (`app.live.direct_send`)."""
MAX_UNREAD_BYTES = 256 * 1024
"""What the server holds for one peer that is not reading, beyond what flow control holds."""
CORK_LIMIT_BYTES = 16 * 1024
"""Corked frames of one socket beyond which `write_now` writes them at once, within the turn."""

log = logging.getLogger(__name__)


class _InboundQueue:
    """What the protocol asks of its `asyncio.Queue` of ASGI receive events (``put_nowait``,
    ``get``, ``empty``), for its one consumer, the ASGI ``receive``; storage only while a
    message waits."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: deque[Any] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        assert self._items is not None
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item

    def empty(self) -> bool:
        return not self._items


class BoundedWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _InboundQueue()  # type: ignore[assignment]

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # set only when the handshake reaches the app
        if scope is not None:
            scope[WIRE_SCOPE_KEY] = self

    def start_keepalive(self) -> None:
        """Called once the handshake response is written: drop what only it needed."""
        super().start_keepalive()
        self.request = None  # type: ignore[assignment]
        self.response = None  # type: ignore[assignment]

    def handle_ping(self) -> None:
        if self.transport.get_write_buffer_size() > MAX_UNREAD_BYTES:
            log.warning("dropping a WebSocket peer that sends pings but does not read")
            self.transport.abort()
            return
        super().handle_ping()

    def write_now(self, text: bytes) -> bool:
        """Take one text frame (UTF-8 ``text``) now if the peer is taking what it is sent:
        the socket is open and its write buffer is below the high-water mark. The frame is
        corked until the end of this loop turn (see the module doc). False, having taken
        nothing, otherwise; never waits and never raises."""
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
        return self._corked(len(text))

    def write_framed_now(self, text: bytes, framed: bytes) -> bool:
        """`write_now` for a frame already built: ``framed`` is ``text`` as one unmasked
        text frame (`realtime.envelope.text_frame`), shared by every socket an event goes
        to. Taken as is when the connection uses no extension (permessage-deflate must
        compress per socket); otherwise the frame is built here from ``text``."""
        conn = self.conn
        # The fewest lookups that decide it, per delivery (a broadcast touches thousands of
        # these objects one after the other): OPEN means accepted and no close sent or
        # received; a lost transport is closing; `_paused` is flow control.
        if self._paused or conn.state is not State.OPEN or self.transport.is_closing():
            return False
        plain = self._plain
        if plain is None:  # known once open: what was negotiated does not change
            plain = self._plain = not conn.extensions and not conn.debug
        if not plain or conn.expect_continuation_frame:
            return self.write_now(text)
        conn.writes.append(framed)
        return self._corked(len(framed))

    def _corked(self, size: int) -> bool:
        """Register the socket with this turn's flush (or flush it now past the limit)."""
        corked = self._corked_bytes
        if corked < 0:  # nothing corked yet this turn
            _flusher(self.loop).add(self)
            corked = 0
        corked += size
        if corked > CORK_LIMIT_BYTES:
            self.uncork()
            corked = 0
        self._corked_bytes = corked
        return True

    _paused = False
    """The transport asked us to stop writing (above its high-water mark)."""
    _plain: bool | None = None
    """No extension and no debug logging on the connection: frames can be taken prebuilt."""

    def pause_writing(self) -> None:
        self._paused = True
        super().pause_writing()

    def resume_writing(self) -> None:
        self._paused = False
        super().resume_writing()

    _corked_bytes = -1
    """Bytes taken by `write_now` since the last flush; -1: not registered with the flusher."""

    def uncork(self) -> None:
        """Write what the connection has ready to send (corked frames first)."""
        data = self.conn.data_to_send()
        if data and not self.transport.is_closing():
            self.transport.write(b"".join(data))


class _Flusher:
    """Uncorks, once per loop turn, every protocol `write_now` corked in that turn."""

    __slots__ = ("_loop", "_pending")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: list[BoundedWebSocketProtocol] = []

    def add(self, protocol: BoundedWebSocketProtocol) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(protocol)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        for protocol in pending:
            protocol._corked_bytes = -1
            try:
                protocol.uncork()
            except Exception:  # one broken socket must not keep the others corked
                log.exception("flushing a WebSocket failed")


_flushers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Flusher] = (
    weakref.WeakKeyDictionary()
)


def _flusher(loop: asyncio.AbstractEventLoop) -> _Flusher:
    flusher = _flushers.get(loop)
    if flusher is None:
        flusher = _flushers[loop] = _Flusher(loop)
    return flusher
