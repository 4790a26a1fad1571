"""Recording an order's history and its outbox row in the caller's transaction.

Every change of an order's status goes through `insert_order_event`, a booking
(`app.services.orders`) and a transition (`app.services.order_transitions`) alike, so the
event history, the order's sequence number and the outbox can never disagree: they are
written together or not at all (the caller commits), by one writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.event_data import OrderEventData, as_data
from persistence.models import Order, OrderEvent
from persistence.notifications import Notice, insert_notices
from persistence.order_reads import OrderRow
from persistence.outbox import (
    insert_outbox_rows,
    outbox_values,
    wake_dispatch_after_commit,
)

ORDER_TOPIC = "order"


def order_event_payload(order: Order | OrderRow, event: EventValues) -> dict[str, Any]:
    """The `data` of an order event on the wire (also what the outbox stores), from the
    order's ORM object or a row of `ORDER_COLUMNS` alike."""
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
_EVENT_COLUMNS = tuple(field.name for field in fields(EventValues))


async def insert_order_event(
    session: AsyncSession,
    order: Order | OrderRow,
    event: EventValues,
    *,
    event_type: str,
    previous_washer_id: int | None = None,
    also_notify: Sequence[Notice] = (),
) -> None:
    """Write one order event for an order whose `last_event_seq` is (or, at the caller's
    commit, will be) `event.seq`: the event, a notification per person it concerns, and all
    their outbox rows. One Core statement per table, instead of a flush of instrumented
    objects. `also_notify` are notices the same move sends (offers it withdrew), stored with
    the event's own. The caller commits."""
    conn = await session.connection()
    await conn.execute(_INSERT_EVENT, {name: getattr(event, name) for name in _EVENT_COLUMNS})
    payload = order_event_payload(order, event)
    rows: list[dict[str, Any]] = [
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
    notices = [
        Notice(user_id, event_type, payload)
        for user_id in sorted(r for r in recipients if r is not None)
    ]
    rows += await insert_notices(session, [*notices, *also_notify], event.occurred_at)
    await insert_outbox_rows(session, rows)
    wake_dispatch_after_commit(session)  # every status change may create or end a wait
