"""The order, offer and KPI queries dispatch, the location pipeline and the board rely on,
on both back-ends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.offers import OPEN, OfferStatus
from domain.orders import OrderStatus
from persistence import kpis, offers, orders, washer_availability
from persistence.models import DispatchOffer, OrderEvent
from tests.integration.persistence.conftest import NOW, Rows


async def _offer(
    session: AsyncSession, order_id: int, washer_id: int, status: str = OPEN, minutes: int = 1
) -> DispatchOffer:
    offer = DispatchOffer(
        order_id=order_id,
        washer_id=washer_id,
        status=status,
        distance_m=100.0,
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=minutes),
    )
    session.add(offer)
    await session.flush()
    return offer


async def test_waiting_orders_are_pending_ones_without_an_open_offer(
    session: AsyncSession, rows: Rows
) -> None:
    customer, washer = await rows.user(), await rows.washer()
    offered = await rows.order(customer)
    declined = await rows.order(customer)
    plain = await rows.order(customer)
    await rows.order(customer, status=OrderStatus.ASSIGNED, washer=washer)
    last = await rows.order(customer)
    await _offer(session, offered.id, washer.id)
    await _offer(session, declined.id, washer.id, status=OfferStatus.DECLINED.value)

    page = await orders.waiting_orders_page(session, after=0, up_to=None, limit=10)
    assert [o.id for o in page] == [declined.id, plain.id, last.id]
    page = await orders.waiting_orders_page(session, after=declined.id, up_to=None, limit=1)
    assert [o.id for o in page] == [plain.id]
    page = await orders.waiting_orders_page(session, after=0, up_to=plain.id, limit=10)
    assert [o.id for o in page] == [declined.id, plain.id]
    assert await offers.offered_washers_of(session, [declined.id]) == {declined.id: {washer.id}}


async def test_expiry_and_decline_are_decided_by_the_statement(
    session: AsyncSession, rows: Rows
) -> None:
    customer, washer = await rows.user(), await rows.washer()
    order = await rows.order(customer)
    late = await _offer(session, order.id, washer.id, minutes=-1)
    fresh = await _offer(session, (await rows.order(customer)).id, washer.id, minutes=5)

    assert [o.id for o, _, _ in await offers.acceptable_offers_of(session, washer.id, NOW)] == [
        fresh.id
    ]
    assert not await offers.decline_if_open(session, late.id, NOW)
    assert await offers.expire_offers(session, NOW) == 1
    assert await offers.decline_if_open(session, fresh.id, NOW)
    assert not await offers.decline_if_open(session, fresh.id, NOW)  # once only
    assert await offers.acceptable_offers_of(session, washer.id, NOW) == []
    found = await offers.offer_with_order(session, fresh.id)
    assert found is not None and found[1].id == fresh.order_id


async def test_active_jobs_and_involvement(session: AsyncSession, rows: Rows) -> None:
    customer, washer, idle = await rows.user(), await rows.washer(), await rows.washer()
    await rows.order(customer, status=OrderStatus.COMPLETED, washer=washer)
    active = await rows.order(customer, status=OrderStatus.EN_ROUTE, washer=washer)
    jobs = await orders.active_jobs(session, [washer.id, idle.id])
    assert jobs == [(washer.id, active.id, "en_route", active.lat, active.lng)]
    assert await orders.involved_in_any(session, washer.id, [OrderStatus.EN_ROUTE])
    assert not await orders.involved_in_any(session, idle.id, [OrderStatus.EN_ROUTE])
    assert [o.id for o in await orders.orders_involving(session, customer.id)] == [
        o.id for o in await orders.orders_of_customer(session, customer.id)
    ]


async def test_idle_washers_are_on_duty_active_and_without_an_active_order(
    session: AsyncSession, rows: Rows
) -> None:
    customer = await rows.user()
    idle, done_for_today = await rows.washer(), await rows.washer()
    working, off_duty = await rows.washer(), await rows.washer(available=False)
    deactivated = await rows.washer(active=False)
    await rows.order(customer, status=OrderStatus.COMPLETED, washer=done_for_today)
    await rows.order(customer, status=OrderStatus.IN_PROGRESS, washer=working)
    found = await washer_availability.idle_washers(session)
    assert {idle.id, done_for_today.id} <= found
    assert not {working.id, off_duty.id, deactivated.id} & found


async def test_the_day_aggregates(session: AsyncSession, rows: Rows) -> None:
    customer, washer = await rows.user(), await rows.washer()
    day = NOW - timedelta(hours=2)
    done = await rows.order(
        customer,
        status=OrderStatus.COMPLETED,
        washer=washer,
        price_cents=3000,
        base_price_cents=2500,
        surge_multiplier_pct=120,
    )
    dropped = await rows.order(customer, status=OrderStatus.CANCELLED, price_cents=900)
    for order, seq, status, at in (
        (done, 1, "assigned", NOW - timedelta(days=1)),
        (done, 2, "completed", NOW),
        (dropped, 1, "cancelled", NOW),
    ):
        session.add(
            OrderEvent(
                order_id=order.id,
                seq=seq,
                actor_role="system",
                to_status=status,
                occurred_at=at,
            )
        )
    await session.flush()
    statuses = [OrderStatus.COMPLETED, OrderStatus.CANCELLED]
    assert await kpis.finished_since(session, day, statuses) == {
        "completed": (1, 3000),
        "cancelled": (1, 900),
    }
    assert await kpis.newest_seqs_since(session, day) == {done.id: 2, dropped.id: 1}
    assert await kpis.surge_revenue_since(session, day) == 500
    assert await kpis.average_surge_since(session, day - timedelta(days=1)) == 120.0
    assert await kpis.average_surge_since(session, NOW + timedelta(days=1)) is None
