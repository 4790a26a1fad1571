"""`insert_order_event` on both back-ends: one writer for an order's event, its
notifications and their outbox rows, a statement per table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders import OrderStatus
from persistence.models import Notification, OrderEvent, OutboxEvent
from persistence.notifications import NOTIFICATION_ID, USER_TOPIC, Notice, insert_notices
from persistence.order_events import ORDER_TOPIC, EventValues, insert_order_event
from tests.integration.persistence.conftest import NOW, Rows
from tests.support.statements import counted_statements


async def test_a_reassignment_writes_its_rows_in_one_statement_per_table(
    session: AsyncSession, rows: Rows
) -> None:
    customer = await rows.user()
    first, second, third = await rows.washer(), await rows.washer(), await rows.washer()
    order = await rows.order(customer, status=OrderStatus.ASSIGNED, washer=first)
    order.last_event_seq = 3
    await session.commit()

    order.washer_id, order.last_event_seq = second.id, 4
    await session.commit()
    reassigned = EventValues(
        order_id=order.id,
        seq=4,
        actor_id=None,
        actor_role="admin",
        from_status="assigned",
        to_status="assigned",
        washer_id=second.id,
        reason="reassigned",
        occurred_at=NOW,
    )
    with counted_statements(session) as sent:
        await insert_order_event(
            session,
            order,
            reassigned,
            event_type="order.status",
            previous_washer_id=first.id,
            also_notify=[Notice(third.id, "dispatch.offer_withdrawn", {"offer_id": 7})],
        )
    tables = [statement.split()[2] for statement in sent]
    assert list(dict.fromkeys(tables)) == ["order_event", "notification", "outbox_event"], sent
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        assert len(tables) == 3, sent  # SQLite may insert RETURNING rows one by one
    await session.commit()

    events = list(await session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)))
    assert [(e.seq, e.washer_id, e.reason) for e in events] == [(4, second.id, "reassigned")]
    notes = list(await session.scalars(select(Notification).order_by(Notification.id)))
    # The people the event concerns, then the notice the same move sent.
    recipients = [*sorted([customer.id, first.id, second.id]), third.id]
    assert [n.user_id for n in notes] == recipients
    assert [n.kind for n in notes] == ["order.status"] * 3 + ["dispatch.offer_withdrawn"]
    outbox = list(await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
    assert [(o.topic, o.aggregate_id) for o in outbox] == [
        (ORDER_TOPIC, order.id),
        *((USER_TOPIC, user_id) for user_id in recipients),
    ]
    # Each person's live event names that person's stored notification.
    assert [o.payload[NOTIFICATION_ID] for o in outbox[1:]] == [n.id for n in notes]
    assert [o.seq for o in outbox[1:]] == [n.id for n in notes]
    assert all(o.payload["seq"] == 4 for o in outbox[:-1])
    assert outbox[-1].payload == {NOTIFICATION_ID: notes[-1].id, "offer_id": 7}


async def test_notifications_for_nobody_write_nothing(session: AsyncSession) -> None:
    with counted_statements(session) as sent:
        assert await insert_notices(session, [], NOW) == []
    assert sent == []
