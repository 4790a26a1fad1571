"""A zone's demand counts every waiting or recent booking once, whether the order carries its
zone (counted by the database) or predates zones (placed by its coordinates)."""

from __future__ import annotations

from sqlalchemy import select, update

from app.settings import Settings
from persistence.database import create_engine, create_session_factory
from persistence.models import Order, SurgeZone
from tests.integration.api.conftest import MakeOrder
from tests.integration.api.test_api_quotes import compute_surge, zone
from tests.support.api import ApiUser


async def _demand(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            rows = await session.scalars(select(SurgeZone))
            return {row.zone: row.demand for row in rows}
    finally:
        await engine.dispose()


async def test_orders_with_and_without_a_zone_both_count_as_demand(
    make_order: MakeOrder, customer_a: ApiUser, settings: Settings
) -> None:
    orders = [await make_order(customer_a) for _ in range(3)]
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await session.execute(
                update(Order).where(Order.id == orders[0]["id"]).values(zone=None)
            )
    finally:
        await engine.dispose()
    await compute_surge(settings)
    assert await _demand(settings) == {zone(): 3}
