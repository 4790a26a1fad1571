"""`app.workers.relay.OutboxRelay` on PostgreSQL: a batch publishes the committed rows in
commit order to their channels and marks them, in three statements; while another process
holds the relay's turn, a batch publishes and marks nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.workers.relay import RELAY_LOCK_KEY, OutboxRelay
from domain.channels import OPS, order_channel, user_channel
from persistence.locks import take_turn
from persistence.models import OutboxEvent
from persistence.notifications import USER_TOPIC
from persistence.order_events import ORDER_TOPIC
from persistence.outbox import insert_outbox_rows, outbox_values
from realtime.envelope import Envelope
from realtime.memory_broker import MemoryBroker
from tests.support.statements import counted_statements

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


async def _commit_rows(factory: async_sessionmaker[AsyncSession]) -> None:
    """An order event (order 7, seq 3) and a notification for user 9, in that order."""
    async with factory() as session:
        await insert_outbox_rows(
            session,
            [
                outbox_values(
                    topic=ORDER_TOPIC,
                    aggregate_id=7,
                    seq=3,
                    event_type="order.status",
                    payload={"status": "arrived"},
                    created_at=NOW,
                ),
                outbox_values(
                    topic=USER_TOPIC,
                    aggregate_id=9,
                    seq=41,
                    event_type="notification",
                    payload={"notification_id": 41},
                    created_at=NOW,
                ),
            ],
        )
        await session.commit()


async def _heard(broker: MemoryBroker, channels: list[str]) -> list[tuple[str, str, str]]:
    heard: list[tuple[str, str, str]] = []

    def hear(envelope: Envelope) -> None:
        heard.append((envelope.channel, envelope.event, envelope.id))

    for channel in channels:
        await broker.listen(channel, hear)
    return heard


async def test_a_batch_publishes_in_commit_order_and_marks_the_rows(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await _commit_rows(session_factory)
    broker = MemoryBroker()
    order, user = order_channel(7).name, user_channel(9).name
    heard = await _heard(broker, [order, OPS.name, user])
    relay = OutboxRelay(session_factory, broker, uses_advisory_lock=True)

    async with session_factory() as probe:
        with counted_statements(probe) as sent:
            assert await relay.relay_once() == 2
        marked = list(await probe.scalars(select(OutboxEvent.published_at)))

    # The turn, the rows, their marks: the order's event keeps its sequence as its id.
    assert len(sent) == 3, sent
    assert [(c, e) for c, e, _ in heard] == [
        (order, "order.status"),
        (OPS.name, "order.status"),
        (user, "notification"),
    ]
    assert heard[0][2] == "3"
    assert len(marked) == 2 and all(m is not None for m in marked)
    assert await relay.relay_once() == 0  # nothing is published twice


async def test_no_batch_while_another_process_holds_the_turn(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await _commit_rows(session_factory)
    broker = MemoryBroker()
    heard = await _heard(broker, [order_channel(7).name, OPS.name, user_channel(9).name])
    relay = OutboxRelay(session_factory, broker, uses_advisory_lock=True)

    async with session_factory() as other, other.begin():
        assert await take_turn(other, RELAY_LOCK_KEY)
        assert await relay.relay_once() == 0
    assert heard == []
    async with session_factory() as probe:
        assert list(await probe.scalars(select(OutboxEvent.published_at))) == [None, None]

    assert await relay.relay_once() == 2  # the turn is free again once that transaction ends
    assert len(heard) == 3
