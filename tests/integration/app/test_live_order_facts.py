"""The facts live access is decided on, read from a real PostgreSQL: what the order row
says, read afresh on each call, and None for an order that does not exist."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.live.access import DatabaseOrderFacts
from app.settings import Settings
from domain.channels import may_subscribe, parse_channel
from domain.orders import OrderFacts, OrderStatus
from domain.roles import Actor, Role
from persistence.models import Order, ServicePackage, Vehicle
from tests.support.database import add_user

pytestmark = pytest.mark.postgres


async def _order(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> tuple[int, int, int]:
    """An order of a new customer, pending; (order id, customer id, washer id)."""
    customer = await add_user(settings, "c@example.com", Role.CUSTOMER)
    washer = await add_user(settings, "w@example.com", Role.WASHER)
    async with session_factory() as session:
        vehicle = Vehicle(owner_id=customer, make="Volvo", model="V70", plate="ABC123", size="m")
        package = ServicePackage(name="Basic", base_price_cents=2000, duration_minutes=30)
        session.add_all([vehicle, package])
        await session.flush()
        order = Order(
            customer_id=customer,
            vehicle_id=vehicle.id,
            package_id=package.id,
            status=OrderStatus.PENDING.value,
            price_cents=2000,
            address="Somewhere 1",
            lat=52.52,
            lng=13.40,
            last_event_seq=1,
        )
        session.add(order)
        await session.commit()
        return order.id, customer, washer


async def test_the_facts_are_what_the_order_row_says(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    order_id, customer, _ = await _order(settings, session_factory)
    facts = await DatabaseOrderFacts(session_factory).order_facts(order_id)
    assert facts == OrderFacts(order_id, OrderStatus.PENDING, customer, None, seq=1)


async def test_each_call_reads_the_order_afresh(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    order_id, customer, washer = await _order(settings, session_factory)
    source = DatabaseOrderFacts(session_factory)
    before = await source.order_facts(order_id)
    arrived = datetime(2026, 1, 1, 12, tzinfo=UTC)
    async with engine.begin() as connection:
        await connection.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(status="arrived", washer_id=washer, arrived_at=arrived, last_event_seq=4)
        )
    after = await source.order_facts(order_id)
    assert before is not None and after is not None
    assert (after.status, after.washer_id, after.arrived_at, after.seq) == (
        OrderStatus.ARRIVED,
        washer,
        arrived,
        4,
    )
    # The facts are enough for the rule: the washer now sees the order, a stranger never.
    assert may_subscribe(
        Actor(user_id=washer, role=Role.WASHER), parse_channel(f"order:{order_id}"), after
    )
    assert not may_subscribe(
        Actor(user_id=999, role=Role.CUSTOMER), parse_channel(f"order:{order_id}"), after
    )
    assert may_subscribe(
        Actor(user_id=customer, role=Role.CUSTOMER), parse_channel(f"order:{order_id}"), after
    )


@pytest.mark.parametrize("order_id", [1, 2**62])
async def test_an_order_that_does_not_exist_has_no_facts(
    session_factory: async_sessionmaker[AsyncSession], order_id: int
) -> None:
    assert await DatabaseOrderFacts(session_factory).order_facts(order_id) is None
