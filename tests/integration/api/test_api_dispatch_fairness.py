"""Dispatch fairness: orders nobody can serve must not delay an order a washer could take.

The dispatcher is driven directly (one ``sweep`` at a time) against a real database of each
back-end and an in-memory geo index, so nothing runs in the background.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from app.workers.dispatcher import CHOICE_BATCH, SWEEP_BATCH, Dispatcher
from domain.location import LocationFix
from domain.offers import OPEN
from domain.orders import OrderStatus
from domain.roles import Role
from persistence.database import create_engine, create_session_factory
from persistence.models import DispatchOffer, Order, ServicePackage, User, Vehicle, WasherProfile
from realtime.geo_index import MemoryGeoIndex

BERLIN = (52.52, 13.405)
AUSTIN = (30.2672, -97.7431)  # thousands of kilometres from the only washer
UNSERVICEABLE = SWEEP_BATCH + 10

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[Sessions]:
    engine = create_engine(settings.database_url)
    yield create_session_factory(engine)
    await engine.dispose()


async def seed(sessions: Sessions, places: list[tuple[float, float]]) -> tuple[int, list[int]]:
    """A washer on duty, and one pending order per place (booked in that order): their ids."""
    async with sessions() as session, session.begin():
        customer = User(email="c@fair.test", password_hash="x", full_name="C", role=Role.CUSTOMER)
        washer = User(email="w@fair.test", password_hash="x", full_name="W", role=Role.WASHER)
        package = ServicePackage(name="Wash", base_price_cents=2000, duration_minutes=30)
        session.add_all([customer, washer, package])
        await session.flush()
        session.add(WasherProfile(user_id=washer.id, is_available=True))
        vehicle = Vehicle(owner_id=customer.id, make="VW", model="Golf", plate="F-1", size="medium")
        session.add(vehicle)
        await session.flush()
        orders = [
            Order(
                customer_id=customer.id,
                vehicle_id=vehicle.id,
                package_id=package.id,
                status=OrderStatus.PENDING.value,
                price_cents=2000,
                address="somewhere",
                lat=lat,
                lng=lng,
            )
            for lat, lng in places
        ]
        session.add_all(orders)
        await session.flush()
        return washer.id, [order.id for order in orders]


async def offered_orders(sessions: Sessions) -> set[int]:
    async with sessions() as session:
        query = select(DispatchOffer.order_id).where(DispatchOffer.status == OPEN)
        return set(await session.scalars(query))


async def washer_near_berlin(washer_id: int) -> MemoryGeoIndex:
    geo = MemoryGeoIndex()
    fix = LocationFix(lat=BERLIN[0] + 0.002, lng=BERLIN[1], ts=datetime.now(UTC))
    await geo.update(washer_id, fix)
    return geo


async def test_a_serviceable_order_is_offered_in_the_first_sweep_behind_many_that_are_not(
    sessions: Sessions,
) -> None:
    washer_id, order_ids = await seed(sessions, [AUSTIN] * UNSERVICEABLE + [BERLIN])
    dispatcher = Dispatcher(sessions, await washer_near_berlin(washer_id), uses_advisory_lock=False)

    assert await dispatcher.sweep() == 1
    assert await offered_orders(sessions) == {order_ids[-1]}


async def test_a_backlog_beyond_one_sweeps_budget_is_worked_through_in_turns(
    sessions: Sessions,
) -> None:
    washer_id, order_ids = await seed(sessions, [AUSTIN] * 25 + [BERLIN])
    geo = await washer_near_berlin(washer_id)
    dispatcher = Dispatcher(sessions, geo, uses_advisory_lock=False, scan_limit=10)

    assert [await dispatcher.sweep() for _ in range(3)] == [0, 0, 1]  # 1-10, 11-20, then 21-26
    assert await offered_orders(sessions) == {order_ids[-1]}
    assert await dispatcher.sweep() == 0  # wraps around: nothing new to offer


async def test_a_sweep_reads_a_page_of_orders_in_a_few_statements_not_some_per_order(
    settings: Settings,
) -> None:
    """What a sweep reads to choose is read once per sweep (who is idle) and once per batch
    of orders (who was offered each): per order it was three statements for every waiting
    order of every sweep, most of them ending with nobody to offer."""
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    reads: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    try:
        washer_id, order_ids = await seed(sessions, [BERLIN] * 30)
        dispatcher = Dispatcher(
            sessions, await washer_near_berlin(washer_id), uses_advisory_lock=False
        )
        event.listen(engine.sync_engine, "before_cursor_execute", note)
        assert await dispatcher.sweep() == 30  # the one washer is offered every order
        event.remove(engine.sync_engine, "before_cursor_execute", note)
        assert await offered_orders(sessions) == set(order_ids)
    finally:
        await engine.dispose()
    # Who is idle, two pages of waiting orders (the second one empty), one read per batch.
    assert len(reads) == 1 + 2 + math.ceil(30 / CHOICE_BATCH), reads


class CountingGeoIndex(MemoryGeoIndex):
    """The in-memory index, counting the dispatcher's lookups."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    async def nearby_each(self, *args: Any, **kwargs: Any) -> Any:
        self.lookups += 1
        return await super().nearby_each(*args, **kwargs)


@pytest.mark.parametrize("why", ["off duty", "busy", "deactivated"])
async def test_with_nobody_idle_a_sweep_reads_no_waiting_order_and_no_position(
    sessions: Sessions, why: str
) -> None:
    """A washer who is off duty, on another job or deactivated is offered nothing, and with
    nobody idle a sweep stops after one statement: no page of orders, no geo lookup."""
    washer_id, order_ids = await seed(sessions, [BERLIN] * 3)
    geo = CountingGeoIndex()
    await geo.update(washer_id, LocationFix(lat=BERLIN[0], lng=BERLIN[1], ts=datetime.now(UTC)))
    async with sessions() as session, session.begin():
        if why == "off duty":
            await session.execute(
                update(WasherProfile)
                .where(WasherProfile.user_id == washer_id)
                .values(is_available=False)
            )
        elif why == "busy":
            await session.execute(
                update(Order)
                .where(Order.id == order_ids[0])
                .values(washer_id=washer_id, status=OrderStatus.ASSIGNED.value)
            )
        else:
            await session.execute(update(User).where(User.id == washer_id).values(is_active=False))
    dispatcher = Dispatcher(sessions, geo, uses_advisory_lock=False)

    assert await dispatcher.sweep() == 0
    assert geo.lookups == 0
    assert await offered_orders(sessions) == set()
