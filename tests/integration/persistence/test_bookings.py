"""A booking's Core statements (`persistence.bookings`, `insert_order_event`) on both
back-ends: the one read finds what the ORM's lookups found, and a booking's rows carry the
order's payload, its trace context and wake the relay and dispatch after the commit."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.booking import OPEN_STATUSES
from domain.orders import OrderStatus
from persistence.bookings import BOOKED_VERSION, booking_lookup, insert_order
from persistence.models import Notification, OrderEvent, OutboxEvent, SurgeZone
from persistence.order_events import EventValues, insert_order_event
from persistence.outbox import DISPATCH, OUTBOX, add_commit_waker, remove_commit_waker
from realtime.tracing import current_traceparent
from tests.integration.persistence.conftest import NOW, Rows

OPEN = sorted(status.value for status in OPEN_STATUSES)


async def test_the_lookup_finds_own_vehicle_active_package_open_orders_and_surge(
    session: AsyncSession, rows: Rows
) -> None:
    customer, other = await rows.user(), await rows.user()
    own, foreign = await rows.vehicle(customer), await rows.vehicle(other)
    package, retired = await rows.package(price=2500), await rows.package()
    retired.is_active = False
    await rows.order(customer)
    await rows.order(customer, status=OrderStatus.COMPLETED)
    await rows.order(other)
    session.add(SurgeZone(zone="z1", multiplier_pct=140, demand=0, supply=0, updated_at=NOW))
    await session.flush()

    async def look(vehicle_id: int, package_id: int, zone: str) -> Any:
        return await booking_lookup(
            session,
            customer_id=customer.id,
            vehicle_id=vehicle_id,
            package_id=package_id,
            zone=zone,
            open_statuses=OPEN,
        )

    found = await look(own.id, package.id, "z1")
    assert (found.vehicle_size, found.package_base_price_cents) == ("medium", 2500)
    assert (found.open_orders, found.multiplier_pct) == (1, 140)
    unknown = await look(foreign.id, retired.id, "z2")
    assert (unknown.vehicle_size, unknown.package_base_price_cents) == (None, None)
    assert unknown.multiplier_pct is None
    missing = await look(own.id + 1000, package.id + 1000, "z1")
    assert (missing.vehicle_size, missing.package_base_price_cents) == (None, None)


def _order_values(customer_id: int, vehicle_id: int, package_id: int) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "vehicle_id": vehicle_id,
        "package_id": package_id,
        "status": OrderStatus.PENDING.value,
        "price_cents": 2600,
        "base_price_cents": 2000,
        "surge_multiplier_pct": 130,
        "zone": "z1",
        "address": "1 Main Street",
        "lat": 30.27,
        "lng": -97.74,
        "scheduled_for": None,
        "notes": "gate code 4",
        "last_event_seq": 1,
    }


async def _written(session: AsyncSession, order_id: int) -> tuple[Any, ...]:
    events = await session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id))
    notes = await session.scalars(select(Notification).order_by(Notification.id))
    outbox = await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
    return (
        [
            (e.seq, e.actor_id, e.actor_role, e.from_status, e.to_status, e.washer_id, e.reason)
            for e in events
        ],
        [(n.user_id, n.kind, n.payload) for n in notes],
        [(o.topic, o.aggregate_id, o.event_type, o.payload, o.trace_context) for o in outbox],
    )


async def test_the_core_booking_writes_what_the_orm_path_writes(
    session: AsyncSession, rows: Rows
) -> None:
    customer = await rows.user()
    vehicle, package = await rows.vehicle(customer), await rows.package()
    await session.commit()
    woken: list[str] = []
    wakers = {topic: (lambda topic=topic: woken.append(topic)) for topic in (OUTBOX, DISPATCH)}
    for topic, waker in wakers.items():
        add_commit_waker(waker, topic)
    try:
        with TracerProvider().get_tracer("test").start_as_current_span("request"):
            traceparent = current_traceparent()
            order = await insert_order(
                session, _order_values(customer.id, vehicle.id, package.id), NOW
            )
            event = EventValues(
                order_id=order.id,
                seq=1,
                actor_id=customer.id,
                actor_role="customer",
                from_status=None,
                to_status=OrderStatus.PENDING.value,
                washer_id=None,
                reason=None,
                occurred_at=NOW,
            )
            await insert_order_event(session, order, event, event_type="order.created")
            assert woken == []
            await session.commit()
    finally:
        for topic, waker in wakers.items():
            remove_commit_waker(waker, topic)
    assert sorted(woken) == sorted([OUTBOX, DISPATCH])
    assert (order.version, order.last_event_seq, order.created_at) == (BOOKED_VERSION, 1, NOW)
    core = await _written(session, order.id)
    assert core[2][0][4] == traceparent is not None

    # The same event for an ORM order, on a second order: the same rows, but for the ids.
    orm_order = await rows.order(customer, created_at=NOW, notes="gate code 4", zone="z1")
    orm_order.price_cents, orm_order.last_event_seq = 2600, 1
    await insert_order_event(
        session, orm_order, replace(event, order_id=orm_order.id), event_type="order.created"
    )
    await session.commit()
    both = await _written(session, orm_order.id)
    assert both[0] == core[0]

    def without_ids(written: list[Any], order_id: int) -> list[Any]:
        return [
            (topic, kind, {k: v for k, v in payload.items() if k != "notification_id"})
            for topic, _, kind, payload, _ in written
            if payload["order_id"] == order_id
        ]

    assert without_ids(both[2], orm_order.id) == [
        (topic, kind, {**payload, "order_id": orm_order.id})
        for topic, kind, payload in without_ids(core[2], order.id)
    ]
    assert [topic for topic, *_ in core[2]] == ["order", "user"]
    assert core[1][0][:2] == (customer.id, "order.created")
    note_id = core[1][0][2].get("notification_id")
    assert note_id is None  # the stored notification's payload is the event's own
    assert core[2][1][3]["notification_id"] is not None
