"""Quotes that hold, on both back-ends: a quoted booking pays the quote even after the surge
moved; an expired, foreign or spent quote answers 409 `quote_expired` with the current
price; a booking without a quote pays the current surge. The surge is moved the real way:
an admin pins the zone and one surge computation applies it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.workers.surge import SurgeComputer
from domain.geo import LatLng
from domain.zones import zone_of
from persistence.database import create_engine, create_session_factory
from realtime.geo_index import MemoryGeoIndex
from realtime.hub import Hub
from realtime.memory_broker import MemoryBroker
from tests.integration.api.conftest import ORDER_ADDRESS
from tests.support.api import ApiUser, expect
from tests.support.api import test_settings as settings_for

Client = AsyncTestClient[Litestar]
MEDIUM_PRICE = 2300  # the package's 2000 cents for a medium car (x1.15)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings_for(settings.database_url, surge_min_hold_seconds=0.0, quote_ttl_seconds=120)


def zone() -> str:
    return zone_of(LatLng(ORDER_ADDRESS["lat"], ORDER_ADDRESS["lng"]), 7)


async def compute_surge(settings: Settings) -> None:
    """One surge computation against the test's database, as the app's worker runs it."""
    engine = create_engine(settings.database_url)
    try:
        computer = SurgeComputer(
            create_session_factory(engine),
            MemoryGeoIndex(),
            Hub(MemoryBroker()),
            rules=settings.surge_rules,
            area=settings.service_area,
            resolution=settings.surge_zone_resolution,
            demand_window=timedelta(minutes=10),
            uses_advisory_lock=False,
            interval=60,
        )
        await computer.compute()
    finally:
        await engine.dispose()


async def pin(api: Client, admin: ApiUser, settings: Settings, multiplier: float | None) -> None:
    body = {"pin": multiplier}
    expect(
        await api.put(f"/api/admin/zones/{zone()}/control", json=body, headers=admin.headers), 200
    )
    await compute_surge(settings)


async def quote(
    api: Client, customer: ApiUser, vehicle: dict[str, Any], package: dict[str, Any]
) -> Any:
    body = {
        "vehicle_id": vehicle["id"],
        "package_id": package["id"],
        "lat": ORDER_ADDRESS["lat"],
        "lng": ORDER_ADDRESS["lng"],
    }
    return expect(await api.post("/api/quotes", json=body, headers=customer.headers), 200)


async def book(
    api: Client, customer: ApiUser, vehicle: dict[str, Any], package: dict[str, Any], **fields: Any
) -> Any:
    body = {"vehicle_id": vehicle["id"], "package_id": package["id"], **ORDER_ADDRESS, **fields}
    return await api.post("/api/orders", json=body, headers=customer.headers)


async def test_a_quote_gives_the_price_with_its_surge_and_an_expiry(
    api: Client,
    customer_a: ApiUser,
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
    admin: ApiUser,
    settings: Settings,
) -> None:
    calm = await quote(api, customer_a, vehicle_a, package)
    assert (calm["price_cents"], calm["multiplier"], calm["zone"]) == (MEDIUM_PRICE, 1.0, zone())
    assert calm["quote_id"] and calm["expires_at"]
    await pin(api, admin, settings, 1.5)
    busy = await quote(api, customer_a, vehicle_a, package)
    assert (busy["price_cents"], busy["base_price_cents"], busy["multiplier"]) == (3450, 2300, 1.5)


async def test_a_booking_with_a_valid_quote_pays_it_after_the_surge_moved(
    api: Client,
    customer_a: ApiUser,
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
    admin: ApiUser,
    settings: Settings,
) -> None:
    held = await quote(api, customer_a, vehicle_a, package)
    await pin(api, admin, settings, 2.0)
    order = expect(await book(api, customer_a, vehicle_a, package, quote_id=held["quote_id"]), 201)
    assert order["price_cents"] == MEDIUM_PRICE
    assert (order["base_price_cents"], order["surge_multiplier"], order["zone"]) == (
        MEDIUM_PRICE,
        1.0,
        zone(),
    )
    again = await book(api, customer_a, vehicle_a, package, quote_id=held["quote_id"])
    spent = expect(again, 409)
    assert spent["code"] == "quote_expired"
    assert spent["price_cents"] == 4600


async def test_a_booking_without_a_quote_pays_the_current_surge(
    api: Client,
    customer_a: ApiUser,
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
    admin: ApiUser,
    settings: Settings,
) -> None:
    await pin(api, admin, settings, 1.3)
    order = expect(await book(api, customer_a, vehicle_a, package), 201)
    assert (order["price_cents"], order["surge_multiplier"]) == (2990, 1.3)


async def test_an_expired_quote_answers_the_current_price(
    api: Client,
    customer_a: ApiUser,
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
    admin: ApiUser,
    settings: Settings,
    app: Litestar,
) -> None:
    held = await quote(api, customer_a, vehicle_a, package)
    engine = create_engine(settings.database_url)
    try:
        from sqlalchemy import update

        from persistence.models import PriceQuote

        async with create_session_factory(engine)() as session, session.begin():
            await session.execute(
                update(PriceQuote)
                .where(PriceQuote.token == held["quote_id"])
                .values(expires_at=PriceQuote.created_at)
            )
    finally:
        await engine.dispose()
    await pin(api, admin, settings, 1.2)
    error = expect(await book(api, customer_a, vehicle_a, package, quote_id=held["quote_id"]), 409)
    assert error["code"] == "quote_expired"
    assert (error["price_cents"], error["multiplier"], error["zone"]) == (2760, 1.2, zone())
    listed = expect(await api.get("/api/orders", headers=customer_a.headers), 200)
    assert listed["items"] == []


async def test_another_customers_quote_is_answered_as_expired(
    api: Client,
    customer_a: ApiUser,
    customer_b: ApiUser,
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
    make_vehicle: Any,
) -> None:
    theirs = await quote(api, customer_a, vehicle_a, package)
    vehicle_b = await make_vehicle(customer_b, plate="B-WL-2")
    error = expect(
        await book(api, customer_b, vehicle_b, package, quote_id=theirs["quote_id"]), 409
    )
    assert error["code"] == "quote_expired"
    assert error["price_cents"] == MEDIUM_PRICE
    unknown = expect(await book(api, customer_b, vehicle_b, package, quote_id="nope"), 409)
    assert unknown["code"] == "quote_expired"


async def test_a_quote_for_a_vehicle_not_ones_own_is_not_found(
    api: Client, customer_b: ApiUser, vehicle_a: dict[str, Any], package: dict[str, Any]
) -> None:
    body = {"vehicle_id": vehicle_a["id"], "package_id": package["id"], "lat": 52.5, "lng": 13.4}
    expect(await api.post("/api/quotes", json=body, headers=customer_b.headers), 404)


async def test_an_admin_cap_and_pin_show_in_the_zone_list(
    api: Client, admin: ApiUser, settings: Settings
) -> None:
    body = {"cap": 1.4}
    capped = expect(
        await api.put(f"/api/admin/zones/{zone()}/control", json=body, headers=admin.headers), 200
    )
    assert (capped["cap"], capped["pin"], len(capped["boundary"])) == (1.4, None, 6)
    listed = expect(await api.get("/api/admin/zones", headers=admin.headers), 200)
    assert [z["zone"] for z in listed] == [zone()]
    bad = await api.put("/api/admin/zones/nothex/control", json=body, headers=admin.headers)
    assert expect(bad, 404)["code"] == "not_found"
