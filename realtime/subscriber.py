"""One live connection's bounded outbound queue, and the rule for when it is needed at all.

The hub only ever calls the non-blocking :meth:`Subscriber.offer`, so a stalled socket
costs the fan-out loop nothing. A transport delivers in one of two ways:

- **A sink** (:meth:`Subscriber.attach`, the WebSocket): ``offer`` hands the item to
  :meth:`Sink.write_now` while nothing is queued, and the sink writes it inline from the
  fan-out loop if its socket can take it now (no backpressure). Only an item the socket
  cannot take now is queued, and :meth:`Sink.wake` asks the transport to drain the queue
  with a writer task that lives only until the queue is empty. A connection at rest has no
  task, and a broadcast costs no task switch per delivery.
- **Iteration** (SSE, internal consumers): the transport runs one loop::

      async for item in subscriber:          # Envelope or Control
          ...send item...
      if subscriber.close_code is not None:  # e.g. SLOW_CONSUMER
          ...close with subscriber.close_code...

Either way the queue is bounded the same: lossy channels conflate, a reliable overflow
closes the subscriber with ``SLOW_CONSUMER``.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Mapping
from types import MappingProxyType
from typing import Protocol, Union

from realtime import metrics
from realtime.close_codes import SLOW_CONSUMER
from realtime.envelope import Control, Envelope

Item = Union[Envelope, Control]  # noqa: UP007 - a runtime alias, not an annotation

_ids = itertools.count(1)
_NO_POSITIONS: Mapping[str, str] = MappingProxyType({})


class Sink(Protocol):
    """A transport that can take items without a task of its own (see the module doc)."""

    def write_now(self, item: Item) -> bool:
        """Write ``item`` now, without waiting, if the connection can take it; else False.

        Called only while nothing is queued; must not raise."""

    def wake(self) -> None:
        """Items were queued, or the subscriber closed: drain the queue (and close)."""


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

    Thousands of these sit idle per process, so everything a connection at rest does not
    need (the queue, the lossy slots, the positions, the waiters) is created on first use.
    """

    __slots__ = (
        "_lossy_slots",
        "_name",
        "_positions",
        "_queue",
        "_reader",
        "_sink",
        "_space_waiters",
        "close_code",
        "close_reason",
        "closed",
        "coalesced",
        "dropped",
        "id",
        "max_queue",
        "transport",
    )

    def __init__(self, *, max_queue: int = 1000, transport: str = "ws", name: str = "") -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be positive")
        self.id = next(_ids)
        self._name = name
        self.transport = transport
        self.max_queue = max_queue
        self.close_code: int | None = None
        self.close_reason: str = ""
        self.coalesced = 0
        self.dropped = 0
        self._queue: deque[Item | _LossySlot] | None = None
        self._lossy_slots: dict[str, _LossySlot] | None = None
        self._positions: dict[str, str] | None = None
        self.closed = False
        """Read-only for everyone else (a plain attribute: the fan-out reads it per delivery)."""
        self._reader: asyncio.Future[None] | None = None
        self._space_waiters: deque[asyncio.Future[None]] | None = None
        self._sink: Sink | None = None

    @property
    def name(self) -> str:
        return self._name or f"subscriber-{self.id}"

    @property
    def positions(self) -> Mapping[str, str]:
        """Last id handed to the transport per channel: what a client resumes from."""
        return self._positions if self._positions is not None else _NO_POSITIONS

    def __len__(self) -> int:
        return len(self._queue) if self._queue is not None else 0

    def attach(self, sink: Sink) -> None:
        """Deliver through ``sink`` from now on (instead of iteration); anything queued or a
        close that came before is handed to it at once."""
        self._sink = sink
        if self._queue or self.closed:
            sink.wake()

    def offer(self, item: Item, *, lossy: bool = False) -> bool:
        """Deliver or queue ``item`` without waiting; False when it was not taken."""
        if self.closed:
            return False
        queue = self._queue
        if not queue:
            sink = self._sink
            if sink is not None and sink.write_now(item):
                self._passed(item)
                if isinstance(item, Envelope):
                    metrics.EVENTS_DELIVERED.inc()
                return True
            if queue is None:
                queue = self._queue = deque()
        if lossy and isinstance(item, Envelope):
            slots = self._lossy_slots
            if slots is None:
                slots = self._lossy_slots = {}
            slot = slots.get(item.channel)
            if slot is not None:
                slot.envelope = item
                self.coalesced += 1
                metrics.EVENTS_COALESCED.inc()
                return True
            if len(queue) >= self.max_queue:
                self.dropped += 1
                metrics.EVENTS_DROPPED.inc()
                return False
            slot = slots[item.channel] = _LossySlot(item)
            queue.append(slot)
        else:
            if len(queue) >= self.max_queue:
                metrics.SLOW_CONSUMER_DISCONNECTS.inc()
                self.close(SLOW_CONSUMER, f"outbound queue full ({self.max_queue} items)")
                return False
            queue.append(item)
        if isinstance(item, Envelope):
            metrics.EVENTS_DELIVERED.inc()
        self._wake()
        return True

    async def put(self, item: Item, *, lossy: bool = False) -> bool:
        """Queue ``item``, waiting for room: for catch-up after subscribe or reconnect,
        which runs in its own task and so may wait for this connection's writer."""
        while not self.closed and not lossy and len(self) >= self.max_queue:
            waiter = asyncio.get_running_loop().create_future()
            if self._space_waiters is None:
                self._space_waiters = deque()
            self._space_waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._space_waiters:
                    self._space_waiters.remove(waiter)
        return self.offer(item, lossy=lossy)

    def close(self, code: int, reason: str = "") -> None:
        """Stop delivering; the transport closes with ``code`` once it has sent what it
        already took. The first close wins, so the reason the client sees is the original."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        self.close_reason = reason
        self._queue = None
        self._lossy_slots = None
        self._wake()
        waiters = self._space_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _wake(self) -> None:
        if self._sink is not None:
            self._sink.wake()
        elif self._reader is not None and not self._reader.done():
            self._reader.set_result(None)

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> Item:
        while not self._queue:
            if self.closed:
                raise StopAsyncIteration
            self._reader = asyncio.get_running_loop().create_future()
            try:
                await self._reader
            finally:
                self._reader = None
        return self._take()

    def get_nowait(self) -> Item | None:
        """The next queued item, if any: what a sink's writer drains."""
        return self._take() if self._queue else None

    def _take(self) -> Item:
        queue = self._queue
        assert queue is not None
        entry = queue.popleft()
        if isinstance(entry, _LossySlot):
            assert self._lossy_slots is not None
            del self._lossy_slots[entry.envelope.channel]
            entry = entry.envelope
        self._passed(entry)
        waiters = self._space_waiters
        if waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
        return entry

    def _passed(self, entry: Item) -> None:
        """Note the position of an item handed to the transport."""
        if isinstance(entry, Envelope):
            if entry.id:
                if self._positions is None:
                    self._positions = {}
                self._positions[entry.channel] = entry.id
        elif entry.position is not None:
            if self._positions is None:
                self._positions = {}
            self._positions[entry.channel] = entry.position
        elif self._positions is not None:
            self._positions.pop(entry.channel, None)

    def start_at(self, channel: str, position: str) -> None:
        """Note where a new subscription of ``channel`` starts (the client's ``since``, or
        the head it joined at): what a client resumes from until an event of it is handed
        to the transport, so a channel that has delivered nothing yet keeps its place."""
        if self._positions is None:
            self._positions = {}
        self._positions.setdefault(channel, position)

    def forget(self, channel: str) -> None:
        """Drop a channel's position (after unsubscribe)."""
        if self._positions is not None:
            self._positions.pop(channel, None)
        slot = self._lossy_slots.pop(channel, None) if self._lossy_slots is not None else None
        if slot is not None and self._queue is not None:
            self._queue.remove(slot)
