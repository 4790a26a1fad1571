"""One timer per process for every live session's token expiry.

Each session used to hold its own `asyncio.TimerHandle` (with its callback, arguments and a
copy of the context: ~500 bytes), idle for the token's whole lifetime, on every one of
thousands of connections. Here a heap of ``(when, ticket)`` pairs and one timer for the
earliest serve them all; a session holds only its ticket.

A cancelled ticket leaves its heap entry behind (two numbers, no reference to the session)
until its time comes or the stale entries outnumber the live ones, when the heap is rebuilt.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import weakref
from collections.abc import Callable

log = logging.getLogger(__name__)

Expire = Callable[[], None]


class ExpiryClock:
    """Calls each armed callback once, at (or just after) its loop time."""

    __slots__ = ("_callbacks", "_heap", "_loop", "_tickets", "_timer", "_timer_at")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._heap: list[tuple[float, int]] = []
        self._callbacks: dict[int, Expire] = {}
        self._tickets = itertools.count(1)
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0

    def __len__(self) -> int:
        """Armed, not yet fired nor cancelled."""
        return len(self._callbacks)

    def arm(self, delay: float, callback: Expire) -> int:
        """Call ``callback`` in ``delay`` seconds; returns the ticket that cancels it."""
        ticket = next(self._tickets)
        when = self._loop.time() + max(0.0, delay)
        self._callbacks[ticket] = callback
        heapq.heappush(self._heap, (when, ticket))
        if self._timer is None or when < self._timer_at:
            self._schedule(when)
        return ticket

    def cancel(self, ticket: int) -> None:
        if self._callbacks.pop(ticket, None) is None:
            return
        if len(self._heap) > 2 * len(self._callbacks) + 64:  # mostly stale: compact
            self._heap = [entry for entry in self._heap if entry[1] in self._callbacks]
            heapq.heapify(self._heap)

    def _schedule(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_at(when, self._fire)
        self._timer_at = when

    def _fire(self) -> None:
        self._timer = None
        now = self._loop.time()
        heap = self._heap
        due: list[Expire] = []
        while heap and heap[0][0] <= now:
            _, ticket = heapq.heappop(heap)
            callback = self._callbacks.pop(ticket, None)
            if callback is not None:
                due.append(callback)
        while heap and heap[0][1] not in self._callbacks:  # stale entries on top
            heapq.heappop(heap)
        if heap:
            self._schedule(heap[0][0])
        for callback in due:
            try:
                callback()
            except Exception:  # one failing session must not keep the others from expiring
                log.exception("expiry callback failed")


_clocks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ExpiryClock] = (
    weakref.WeakKeyDictionary()
)


def expiry_clock() -> ExpiryClock:
    """The running loop's clock."""
    loop = asyncio.get_running_loop()
    clock = _clocks.get(loop)
    if clock is None:
        clock = _clocks[loop] = ExpiryClock(loop)
    return clock
