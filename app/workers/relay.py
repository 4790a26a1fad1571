"""The outbox relay: publishes committed order events to the broker, in order, once.

Only one relay publishes at a time across all processes (a PostgreSQL advisory lock taken
per batch), which is what keeps each order's events in sequence order on the wire; the
others wait for their turn. A row is marked published only after the broker took it, so a
crash or a Redis outage between commit and publish delays events but never loses them; the
price is a possible repeat, which clients drop by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from opentelemetry.trace import SpanKind, Tracer
from redis.backoff import EqualJitterBackoff
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.metrics import OUTBOX_LAG, OUTBOX_PUBLISHED
from app.services.chat import CHAT_TOPIC
from app.workers.outage import WorkerOutage
from domain.channels import AUDIT, OPS, chat_channel, order_channel, user_channel
from persistence.audit import AUDIT_TOPIC
from persistence.locks import take_turn
from persistence.notifications import USER_TOPIC
from persistence.order_events import ORDER_TOPIC
from persistence.outbox import CommitSignal, OutboxRow, mark_published, unpublished
from realtime.broker import Broker, BrokerUnavailable
from realtime.envelope import iso_utc
from realtime.tracing import parent_context

log = logging.getLogger(__name__)
RELAY_LOCK_KEY = 0x5741_5348  # "WASH": the advisory lock every relay competes for


Target = tuple[str, str, dict[str, Any], int | None]


def outbox_targets(row: OutboxRow) -> list[Target]:
    """(channel, event type, data, offset) for every channel an outbox row goes to.

    Order events go to the order's channel (the row's sequence is the id) and to `ops`;
    notifications to their user's channel; chat messages to the order's chat channel; audit
    entries to `audit`.
    """
    if row.topic == ORDER_TOPIC:
        return [
            (order_channel(row.aggregate_id).name, row.event_type, row.payload, row.seq),
            (OPS.name, row.event_type, row.payload, None),
        ]
    if row.topic == USER_TOPIC:
        return [(user_channel(row.aggregate_id).name, row.event_type, row.payload, None)]
    if row.topic == CHAT_TOPIC:
        return [(chat_channel(row.aggregate_id).name, row.event_type, row.payload, row.seq)]
    if row.topic == AUDIT_TOPIC:
        return [(AUDIT.name, row.event_type, row.payload, None)]
    log.error("outbox row %s has unknown topic %r; skipped", row.id, row.topic)
    return []


class OutboxRelay:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        broker: Broker,
        *,
        uses_advisory_lock: bool,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        max_backoff: float = 5.0,
        tracer: Tracer | None = None,
    ) -> None:
        self._tracer = tracer
        self._session_factory = session_factory
        self._broker = broker
        self._uses_advisory_lock = uses_advisory_lock
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._backoff = EqualJitterBackoff(cap=max_backoff, base=0.1)
        self._broker_failures = 0
        self.outage = WorkerOutage("outbox relay", cap=max_backoff)
        self._commits = CommitSignal()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.published = 0

    @property
    def running(self) -> bool:
        """Whether the loop is alive (an outage must never end it)."""
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        self._commits.set()

    def start(self) -> None:
        self._stopping = False
        self._commits.attach()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        self._commits.detach()
        if self._task is not None:
            # The flag as well as the cancel: a cancellation swallowed below (by a driver
            # cleaning up a connection it lost, say) must not keep the loop, and the
            # shutdown waiting on it, alive.
            self._stopping = True
            self._commits.set()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        """Publish until stopped. Neither Redis nor PostgreSQL being away ends the loop: the
        rows wait in the outbox, and the first pass after both are back publishes them in
        order (commits made meanwhile queue behind them)."""
        while not self._stopping:
            delay = self._poll_interval
            try:
                count = await self.relay_once()
                self.outage.succeeded()
                self._broker_failures = 0
            except BrokerUnavailable:
                self._broker_failures += 1
                count = 0
                delay = self._backoff.compute(self._broker_failures)
            except Exception as exc:
                count = 0
                delay = self.outage.failed(exc)
            if count >= self._batch_size:
                continue
            await self._commits.wait(delay)

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published.

        Rows published before a broker failure are still marked, in the same commit, so a
        retry repeats at most the row that failed.
        """
        failure: BrokerUnavailable | None = None
        done: list[int] = []
        async with self._session_factory() as session, session.begin():
            if self._uses_advisory_lock and not await take_turn(session, RELAY_LOCK_KEY):
                OUTBOX_LAG.set(0)  # the lock holder reports the backlog
                return 0
            rows = await unpublished(session, self._batch_size)
            OUTBOX_LAG.set(_age(rows[0].created_at) if rows else 0.0)
            for row in rows:
                try:
                    await self._publish(row)
                except BrokerUnavailable as exc:
                    failure = exc
                    break
                done.append(row.id)
            await mark_published(session, done, datetime.now(UTC))
        self.published += len(done)
        OUTBOX_PUBLISHED.inc(len(done))
        if failure is not None:
            raise failure
        return len(done)

    async def _publish(self, row: OutboxRow) -> None:
        """Publish one row to each of its channels; traced, when tracing is on, as a child
        of the request that committed it, so every delivery of it joins that trace."""
        if self._tracer is None:
            await self._publish_targets(row)
            return
        with self._tracer.start_as_current_span(
            "outbox publish",
            context=parent_context(row.trace_context),
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "washline",
                "messaging.operation.type": "publish",
                "washline.outbox.id": row.id,
                "washline.outbox.topic": row.topic,
                "washline.event": row.event_type,
            },
        ):
            await self._publish_targets(row)

    async def _publish_targets(self, row: OutboxRow) -> None:
        stamp = iso_utc(row.created_at)  # the commit's time, on every republish too
        for channel, event_type, data, offset in outbox_targets(row):
            await self._broker.publish(channel, event_type, data, offset=offset, ts=stamp)


def _age(moment: datetime) -> float:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - aware).total_seconds())
