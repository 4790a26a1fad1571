"""One subscriber's state on one channel, and the rule for what it may receive.

Every event passes :func:`emit_live` (or the catch-up path) so that, per subscriber and
channel, nothing at or below the last queued id is ever queued again (at-least-once upstream,
exactly-in-order downstream) and a change of history epoch is never crossed silently.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from realtime import metrics
from realtime.close_codes import SLOW_CONSUMER
from realtime.envelope import EPHEMERAL_ID, Envelope, StreamPosition, reset
from realtime.subscriber import Subscriber


class HistoryFallback(Protocol):
    """Events of a database-backed channel from the database, for resumes Redis cannot
    serve. Implemented by the app; must return events in id order, and raise
    `realtime.broker.BrokerUnavailable` while its database is away, so the hub retries the
    catch-up on its own instead of leaving the subscription waiting."""

    async def events_after(self, channel: str, after: int, limit: int) -> list[Envelope]: ...


@dataclass(slots=True, eq=False)
class Subscription:
    subscriber: Subscriber
    channel: str
    lossy: bool
    database_backed: bool
    last: StreamPosition | None = None
    """Last id queued to the subscriber (or the client's ``since`` before catch-up)."""
    recovering: bool = True
    """While true, live events wait in ``buffer`` until history has been caught up."""
    buffer: deque[Envelope] | None = None
    """Live events held while recovering; created when the first one arrives and dropped
    once caught up (an empty deque is ~600 bytes, and thousands of subscriptions idle)."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    active: bool = True
    """False once unsubscribed: a catch-up still running must stop queueing."""
    catch_up_failures: int = 0
    """Consecutive failed history reads; sets the backoff of the next retry."""

    @property
    def wants_more(self) -> bool:
        return self.active and not self.subscriber.closed

    def accepts(self, position: StreamPosition) -> bool:
        """Same history and newer, or (lossy channels only) any newer epoch."""
        last = self.last
        if last is None:
            return True
        if position.epoch != last.epoch:
            return self.lossy
        return position.offset > last.offset

    def on_live(self, envelope: Envelope) -> None:
        """A live event from the broker; never waits."""
        if not self.active or self.subscriber.closed:  # wants_more, inlined: per delivery
            return
        if envelope.id == EPHEMERAL_ID:
            if not self.recovering:  # nothing to catch up: an old typing signal is noise
                self.subscriber.offer(envelope, lossy=True)
            return
        if self.recovering:
            buffer = self.buffer
            if buffer is None:
                buffer = self.buffer = deque()
            if len(buffer) >= self.subscriber.max_queue:
                metrics.SLOW_CONSUMER_DISCONNECTS.inc()
                self.subscriber.close(SLOW_CONSUMER, "too many events while catching up")
                self.buffer = None
                return
            buffer.append(envelope)
            return
        self.emit_now(envelope)

    def emit_now(self, envelope: Envelope) -> None:
        position = envelope.position
        if not self.accepts(position):
            if self.last is None or position.epoch == self.last.epoch:
                return  # a duplicate of something already queued
            self.subscriber.offer(reset(self.channel))
            metrics.RESETS.inc()
        self.last = position
        self.subscriber.offer(envelope, lossy=self.lossy)

    async def emit_caught_up(self, envelope: Envelope) -> None:
        """Queue a history or database event, waiting for room if the queue is full."""
        position = envelope.position
        if self.wants_more and self.accepts(position):
            self.last = position
            await self.subscriber.put(envelope, lossy=self.lossy)

    async def emit_reset(self, top: StreamPosition | None) -> None:
        if not self.wants_more:
            return
        self.last = top
        metrics.RESETS.inc()
        await self.subscriber.put(reset(self.channel, str(top) if top else None))

    async def drain_buffer(self) -> None:
        """Queue buffered live events past ``last``, then go live. There is no await between
        the final emptiness check and going live, so no event can slip between them."""
        while self.buffer and self.wants_more:
            envelope = self.buffer.popleft()
            position = envelope.position
            if self.accepts(position):
                self.last = position
                await self.subscriber.put(envelope, lossy=self.lossy)
            elif self.last is not None and position.epoch != self.last.epoch:
                self.emit_now(envelope)
        self.buffer = None
        self.recovering = False
