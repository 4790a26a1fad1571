"""The per-process hub: routes live events from the broker to local subscribers and runs
the gapless subscribe/resume algorithm.

Fan-out of one event costs O(subscribers of its channel): the broker hands it to
:meth:`Hub._dispatch`, which looks the channel up once and calls the non-blocking
``Subscription.on_live`` for each local subscriber; no socket is awaited here. Reading
what a subscription missed is :mod:`realtime.missed_reader`'s job; the hub decides when.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from typing import Any

from opentelemetry.trace import Tracer
from redis.backoff import EqualJitterBackoff

from realtime import metrics
from realtime.broker import Broker, BrokerUnavailable
from realtime.channel_traits import ChannelClassifier, domain_traits
from realtime.envelope import EPHEMERAL_ID, Envelope, parse_id
from realtime.missed_reader import MissedReader
from realtime.subscriber import Subscriber
from realtime.subscription import HistoryFallback, Subscription
from realtime.tracing import delivery_span

log = logging.getLogger(__name__)

CATCH_UP_BACKOFF = EqualJitterBackoff(cap=30.0, base=1.0)
"""Backoff of a catch-up whose history read failed while the pub/sub link stayed up:
half to all of 1 s, 2 s, 4 s, ... up to 30 s."""


class Hub:
    """One per process. ``history_page`` bounds each history or database read during
    catch-up; catch-up pages until it has everything. With a ``tracer``, each fan-out of a
    traced event records one delivery span (`realtime.tracing`)."""

    def __init__(
        self,
        broker: Broker,
        *,
        fallback: HistoryFallback | None = None,
        classify: ChannelClassifier = domain_traits,
        history_page: int = 100,
        tracer: Tracer | None = None,
    ) -> None:
        self.broker = broker
        self._tracer = tracer
        self._classify = classify
        self._missed = MissedReader(broker, fallback, history_page)
        self._channels: dict[str, dict[Subscriber, Subscription]] = {}
        self._subscribers: dict[Subscriber, dict[str, Subscription]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._listening: dict[str, asyncio.Future[None]] = {}
        self._done: asyncio.Future[None] | None = None
        self._transports: Counter[str] = Counter()
        self._broker_down = False

    async def start(self) -> None:
        self.broker.set_events(self)
        await self.broker.start()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.broker.set_events(None)
        await self.broker.close()

    async def publish(
        self,
        channel: str,
        event: str,
        data: Any,
        *,
        offset: int | None = None,
        ts: str | None = None,
    ) -> Envelope:
        return await self.broker.publish(channel, event, data, offset=offset, ts=ts)

    async def publish_ephemeral(self, channel: str, event: str, data: Any) -> Envelope:
        return await self.broker.publish_ephemeral(channel, event, data)

    def deliver_local(self, channel: str, event: str, data: Any) -> Envelope:
        """Hand an ephemeral event to this process's subscribers of ``channel`` only.

        For what every process computes for itself from events all processes see (the KPI
        tick): publishing it through the broker would deliver one copy per process."""
        envelope = Envelope.create(channel, EPHEMERAL_ID, event, data)
        self._dispatch(envelope)
        return envelope

    def connect(self, subscriber: Subscriber) -> None:
        """Register a connection (counted per transport) before its first subscribe."""
        if subscriber not in self._subscribers:
            self._subscribers[subscriber] = {}
            self._transports[subscriber.transport] += 1
            metrics.CONNECTIONS.labels(subscriber.transport).inc()

    def connections_by_transport(self) -> dict[str, int]:
        """Open connections of this process per transport ("ws", "sse", ...)."""
        return {transport: count for transport, count in self._transports.items() if count}

    async def disconnect(self, subscriber: Subscriber, code: int = 1000, reason: str = "") -> None:
        """Unsubscribe everything and close the queue; safe to call twice."""
        subscriptions = self._subscribers.pop(subscriber, None)
        if subscriptions is None:
            return
        self._transports[subscriber.transport] -= 1
        metrics.CONNECTIONS.labels(subscriber.transport).dec()
        for channel, subscription in subscriptions.items():
            subscription.active = False
            await self._drop(subscriber, channel)
        subscriber.close(code, reason)

    def subscriptions(self, subscriber: Subscriber) -> list[str]:
        return list(self._subscribers.get(subscriber, ()))

    @property
    def channel_count(self) -> int:
        return len(self._channels)

    async def subscribe(
        self, subscriber: Subscriber, channel: str, since: str | None = None
    ) -> None:
        """Deliver ``channel`` to ``subscriber`` from after ``since`` (or from now), gaplessly.

        Raises ``ValueError`` for an unknown channel or malformed ``since``. A broker outage
        does not fail the call: the subscription catches up when the broker is back.
        """
        traits = self._classify(channel)
        start = parse_id(since) if since is not None else None
        self.connect(subscriber)
        if channel in self._subscribers[subscriber]:
            await self.unsubscribe(subscriber, channel)
        subscription = Subscription(
            subscriber, channel, traits.lossy, traits.database_backed, last=start
        )
        self._subscribers[subscriber][channel] = subscription
        if since is not None:
            subscriber.start_at(channel, since)
        listeners = self._channels.setdefault(channel, {})
        listeners[subscriber] = subscription
        metrics.SUBSCRIPTIONS.inc()
        async with subscription.lock:
            try:
                await self._listen(channel)
            except BrokerUnavailable:
                self._listen_failed(subscription)
                return
            if start is not None:
                metrics.RESUMES.inc()
            await self._catch_up(subscription)

    async def _listen(self, channel: str) -> None:
        """Start (or join) listening to ``channel``; concurrent first subscribers all wait
        for the same broker call, so none reads history before live delivery is active."""
        ready = self._listening.get(channel)
        if ready is None or (ready.done() and ready.exception() is not None):
            ready = asyncio.ensure_future(self.broker.listen(channel, self._dispatch))
            self._listening[channel] = ready
        await asyncio.shield(ready)
        if self._listening.get(channel) is ready:
            # Listening: keep one shared finished future instead of this channel's task
            # (~600 bytes per channel, and a process may listen to thousands).
            self._listening[channel] = self._listened()

    def _listened(self) -> asyncio.Future[None]:
        done = self._done
        if done is None:
            done = self._done = asyncio.get_running_loop().create_future()
            done.set_result(None)
        return done

    async def unsubscribe(self, subscriber: Subscriber, channel: str) -> None:
        subscriptions = self._subscribers.get(subscriber)
        subscription = subscriptions.pop(channel, None) if subscriptions is not None else None
        if subscription is not None:
            subscription.active = False
            await self._drop(subscriber, channel)

    async def _drop(self, subscriber: Subscriber, channel: str) -> None:
        metrics.SUBSCRIPTIONS.dec()
        subscriber.forget(channel)
        listeners = self._channels.get(channel)
        if listeners is None or listeners.pop(subscriber, None) is None or listeners:
            return
        del self._channels[channel]
        self._listening.pop(channel, None)
        # While the broker is down it forgets the listener locally; nothing to tell Redis.
        with contextlib.suppress(BrokerUnavailable):
            await self.broker.unlisten(channel, self._dispatch)

    def _dispatch(self, envelope: Envelope) -> None:
        listeners = self._channels.get(envelope.channel)
        if not listeners:
            return
        metrics.DELIVERY_LATENCY.observe(max(0.0, time.time() - envelope.published_at))
        if self._tracer is None or envelope.trace is None:  # tracing off: no call per event
            for subscription in listeners.values():
                subscription.on_live(envelope)
            return
        span = delivery_span(self._tracer, envelope.channel, envelope.trace, len(listeners))
        for subscription in listeners.values():
            subscription.on_live(envelope)
        if span is not None:
            span.end()

    async def _catch_up(self, subscription: Subscription) -> None:
        """History (or the database) after ``last``, then the buffered live events, then
        live. The caller holds the subscription's lock and already listens live."""
        subscription.recovering = True
        try:
            await self._missed.read(subscription)
        except BrokerUnavailable:
            # If the pub/sub link dropped too, its reconnect resumes everything; but a
            # history read can fail while pub/sub stays up, and then no reconnect ever
            # comes: retry on our own, or the subscription buffers forever.
            log.warning("history unavailable while catching up %s; retrying", subscription.channel)
            self._retry_catch_up(subscription)
            return
        subscription.catch_up_failures = 0
        await subscription.drain_buffer()

    def _listen_failed(self, subscription: Subscription) -> None:
        """Listening failed: the subscription buffers until it is resumed. After an outage
        the reconnect resumes it; but a subscribe can also fail while the link stays up (its
        confirmation came too late on a busy process), and then no reconnect ever comes:
        retry on our own, or the subscription buffers forever and delivers nothing."""
        if self._broker_down:
            log.warning("broker down; %s will catch up on reconnect", subscription.channel)
            return
        log.warning("listening to %s failed; retrying", subscription.channel)
        self._retry_catch_up(subscription)

    def _retry_catch_up(self, subscription: Subscription) -> None:
        delay = CATCH_UP_BACKOFF.compute(subscription.catch_up_failures)
        subscription.catch_up_failures += 1
        task = asyncio.get_running_loop().create_task(self._retry_after(subscription, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _retry_after(self, subscription: Subscription, delay: float) -> None:
        await asyncio.sleep(delay)
        if self._broker_down:
            return  # the reconnect resumes every subscription
        await self._resume(subscription)

    def on_broker_disconnected(self) -> None:
        """Buffer live events from now on: the stream may have a hole until resumed."""
        self._broker_down = True
        for subscriptions in self._subscribers.values():
            for subscription in subscriptions.values():
                subscription.recovering = True

    def on_broker_reconnected(self) -> None:
        """Resume every subscription from its last queued id (the broker re-listens first)."""
        metrics.BROKER_RECONNECTS.inc()
        self._broker_down = False
        for subscriptions in self._subscribers.values():
            for subscription in subscriptions.values():
                subscription.recovering = True
                task = asyncio.get_running_loop().create_task(self._resume(subscription))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _resume(self, subscription: Subscription) -> None:
        async with subscription.lock:
            if (
                self._subscribers.get(subscription.subscriber, {}).get(subscription.channel)
                is not subscription
            ):
                return  # unsubscribed meanwhile
            try:
                await self._listen(subscription.channel)  # at once if already listening
            except BrokerUnavailable:
                self._listen_failed(subscription)
                return
            if subscription.last is not None:
                metrics.RESUMES.inc()
            await self._catch_up(subscription)

    async def wait_idle(self) -> None:
        """Wait for pending resumes (for tests and orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
