"""One live connection's bounded outbound queue, drained by that connection's writer.

The hub only ever calls the non-blocking :meth:`Subscriber.offer`, so a stalled socket
costs the fan-out loop nothing; the transport runs one writer task per connection::

    async for item in subscriber:          # Envelope or Control
        await websocket.send_bytes(item.ws_frame)
    if subscriber.close_code is not None:  # e.g. SLOW_CONSUMER
        await websocket.close(subscriber.close_code, subscriber.close_reason)
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from typing import Union

from realtime import metrics
from realtime.close_codes import SLOW_CONSUMER
from realtime.envelope import Control, Envelope

Item = Union[Envelope, Control]  # noqa: UP007 - a runtime alias, not an annotation

_ids = itertools.count(1)


class _LossySlot:
    """The queue's single place for a lossy channel's newest unsent event."""

    __slots__ = ("envelope",)

    def __init__(self, envelope: Envelope) -> None:
        self.envelope = envelope


class Subscriber:
    """A bounded queue of items for one connection.

    Lossy channels hold at most one queued event each, replaced in place by newer ones
    (``coalesced``); when the queue is full a new lossy event is dropped (``dropped``). A
    reliable item that does not fit closes the subscriber with ``SLOW_CONSUMER``: the client
    reconnects and resumes from its last id, which beats silently losing events.
    """

    def __init__(self, *, max_queue: int = 1000, transport: str = "ws", name: str = "") -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be positive")
        self.id = next(_ids)
        self.name = name or f"subscriber-{self.id}"
        self.transport = transport
        self.max_queue = max_queue
        self.close_code: int | None = None
        self.close_reason: str = ""
        self.coalesced = 0
        self.dropped = 0
        self._queue: deque[Item | _LossySlot] = deque()
        self._lossy_slots: dict[str, _LossySlot] = {}
        self._positions: dict[str, str] = {}
        self._closed = False
        self._reader: asyncio.Future[None] | None = None
        self._space_waiters: deque[asyncio.Future[None]] = deque()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def positions(self) -> dict[str, str]:
        """Last id handed to the writer per channel: what a client resumes from (read-only)."""
        return self._positions

    def __len__(self) -> int:
        return len(self._queue)

    def offer(self, item: Item, *, lossy: bool = False) -> bool:
        """Queue ``item`` without waiting; False when it was not queued."""
        if self._closed:
            return False
        if lossy and isinstance(item, Envelope):
            slot = self._lossy_slots.get(item.channel)
            if slot is not None:
                slot.envelope = item
                self.coalesced += 1
                metrics.EVENTS_COALESCED.inc()
                return True
            if len(self._queue) >= self.max_queue:
                self.dropped += 1
                metrics.EVENTS_DROPPED.inc()
                return False
            slot = self._lossy_slots[item.channel] = _LossySlot(item)
            self._queue.append(slot)
        else:
            if len(self._queue) >= self.max_queue:
                metrics.SLOW_CONSUMER_DISCONNECTS.inc()
                self.close(SLOW_CONSUMER, f"outbound queue full ({self.max_queue} items)")
                return False
            self._queue.append(item)
        if isinstance(item, Envelope):
            metrics.EVENTS_DELIVERED.inc()
        self._wake_reader()
        return True

    async def put(self, item: Item, *, lossy: bool = False) -> bool:
        """Queue ``item``, waiting for room: for catch-up after subscribe or reconnect,
        which runs in its own task and so may wait for this connection's writer."""
        while not self._closed and not lossy and len(self._queue) >= self.max_queue:
            waiter = asyncio.get_running_loop().create_future()
            self._space_waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._space_waiters:
                    self._space_waiters.remove(waiter)
        return self.offer(item, lossy=lossy)

    def close(self, code: int, reason: str = "") -> None:
        """Stop delivering; the writer's loop ends and the transport closes with ``code``.
        The first close wins, so the reason the client sees is the original one."""
        if self._closed:
            return
        self._closed = True
        self.close_code = code
        self.close_reason = reason
        self._queue.clear()
        self._lossy_slots.clear()
        self._wake_reader()
        while self._space_waiters:
            waiter = self._space_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _wake_reader(self) -> None:
        if self._reader is not None and not self._reader.done():
            self._reader.set_result(None)

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> Item:
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._reader = asyncio.get_running_loop().create_future()
            try:
                await self._reader
            finally:
                self._reader = None
        return self._take()

    def get_nowait(self) -> Item | None:
        """The next item if one is queued, for writers that batch several per send."""
        return self._take() if self._queue else None

    def _take(self) -> Item:
        entry = self._queue.popleft()
        if isinstance(entry, _LossySlot):
            del self._lossy_slots[entry.envelope.channel]
            entry = entry.envelope
        if isinstance(entry, Envelope):
            if entry.id:
                self._positions[entry.channel] = entry.id
        elif entry.position is not None:
            self._positions[entry.channel] = entry.position
        else:
            self._positions.pop(entry.channel, None)
        if self._space_waiters:
            waiter = self._space_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
        return entry

    def forget(self, channel: str) -> None:
        """Drop a channel's position (after unsubscribe)."""
        self._positions.pop(channel, None)
        slot = self._lossy_slots.pop(channel, None)
        if slot is not None:
            self._queue.remove(slot)
