"""Recording an order's history and its outbox row in the caller's transaction.

Every change of an order's status goes through `record_order_event` (ORM objects) or
`insert_order_event` (Core rows, for a booking written without the ORM), so the event
history, the order's sequence number and the outbox can never disagree: they are written
together or not at all (the caller commits).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.event_data import OrderEventData, as_data
from persistence.models import Order, OrderEvent
from persistence.notifications import insert_notification, notify
from persistence.order_reads import OrderRow
from persistence.outbox import (
    append,
    insert_outbox_rows,
    outbox_values,
    wake_dispatch_after_commit,
)

ORDER_TOPIC = "order"


def order_event_payload(order: Order | OrderRow, event: OrderEvent | EventValues) -> dict[str, Any]:
    """The `data` of an order event on the wire (also what the outbox stores), from the ORM
    objects or from a row of `ORDER_COLUMNS` and the event's values alike."""
    return as_data(
        OrderEventData(
            order_id=order.id,
            seq=event.seq,
            status=event.to_status,
            from_status=event.from_status,
            customer_id=order.customer_id,
            washer_id=event.washer_id,
            price_cents=order.price_cents,
            actor_role=event.actor_role,
            actor_id=event.actor_id,
            reason=event.reason,
            occurred_at=event.occurred_at.isoformat(),
            created_at=order.created_at.isoformat(),
            scheduled_for=order.scheduled_for.isoformat() if order.scheduled_for else None,
            lat=order.lat,
            lng=order.lng,
        )
    )


async def record_order_event(
    session: AsyncSession,
    order: Order,
    *,
    event_type: str,
    from_status: str | None,
    to_status: str,
    actor_id: int | None,
    actor_role: str,
    reason: str | None,
    now: datetime,
    previous_washer_id: int | None = None,
) -> OrderEvent:
    """Append the next event of `order`, its outbox row and the notifications of the people
    it concerns (customer, washer, and a washer who just lost the order); the order must have
    an id. The caller commits."""
    order.last_event_seq = (order.last_event_seq or 0) + 1
    event = OrderEvent(
        order_id=order.id,
        seq=order.last_event_seq,
        actor_id=actor_id,
        actor_role=actor_role,
        from_status=from_status,
        to_status=to_status,
        washer_id=order.washer_id,
        reason=reason,
        occurred_at=now,
    )
    session.add(event)
    payload = order_event_payload(order, event)
    append(
        session,
        topic=ORDER_TOPIC,
        aggregate_id=order.id,
        seq=event.seq,
        event_type=event_type,
        payload=payload,
        created_at=now,
    )
    wake_dispatch_after_commit(session)  # every status change may create or end a wait
    recipients = {order.customer_id, order.washer_id, previous_washer_id}
    for user_id in sorted(r for r in recipients if r is not None):
        await notify(session, user_id, event_type, payload, now)
    return event


@dataclass(frozen=True, slots=True)
class EventValues:
    """One order event's columns, for `insert_order_event` (no ORM object)."""

    order_id: int
    seq: int
    actor_id: int | None
    actor_role: str
    from_status: str | None
    to_status: str
    washer_id: int | None
    reason: str | None
    occurred_at: datetime


_INSERT_EVENT = insert(cast(Table, OrderEvent.__table__))


async def insert_order_event(
    session: AsyncSession,
    order: OrderRow,
    event: EventValues,
    *,
    event_type: str,
    previous_washer_id: int | None = None,
) -> None:
    """`record_order_event` as Core statements, for a caller that wrote the order's row
    (with `last_event_seq` already `event.seq`) without the ORM: the event, a notification
    per person it concerns, and all their outbox rows in one statement. The same rows and
    payloads as `record_order_event`, in a round trip per table instead of a flush of
    instrumented objects. The caller commits."""
    conn = await session.connection()
    await conn.execute(_INSERT_EVENT, asdict(event))
    payload = order_event_payload(order, event)
    rows = [
        outbox_values(
            topic=ORDER_TOPIC,
            aggregate_id=order.id,
            seq=event.seq,
            event_type=event_type,
            payload=payload,
            created_at=event.occurred_at,
        )
    ]
    recipients = {order.customer_id, event.washer_id, previous_washer_id}
    for user_id in sorted(r for r in recipients if r is not None):
        rows.append(
            await insert_notification(session, user_id, event_type, payload, event.occurred_at)
        )
    await insert_outbox_rows(session, rows)
    wake_dispatch_after_commit(session)  # every status change may create or end a wait
