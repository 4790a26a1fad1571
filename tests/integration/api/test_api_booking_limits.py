"""Booking limits: no orders outside the served area, and only a few open orders per customer.

Both keep one customer from filling the dispatch queue with orders nobody can serve.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.settings import Settings
from tests.integration.api.conftest import ORDER_ADDRESS
from tests.support.api import ApiUser, expect
from tests.support.api import test_settings as settings_for

Client = AsyncTestClient[Litestar]
CAP = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The API fixtures' settings with the documented default cap."""
    return settings_for(settings.database_url, max_open_orders_per_customer=CAP)


def booking(vehicle: dict[str, Any], package: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"vehicle_id": vehicle["id"], "package_id": package["id"], **ORDER_ADDRESS, **fields}


async def test_a_booking_outside_the_service_area_is_refused(
    api: Client, customer_a: ApiUser, vehicle_a: dict[str, Any], package: dict[str, Any]
) -> None:
    body = booking(vehicle_a, package, lat=10.0, lng=10.0)
    error = expect(await api.post("/api/orders", json=body, headers=customer_a.headers), 400)
    assert error["code"] == "outside_service_area"
    listed = expect(await api.get("/api/orders", headers=customer_a.headers), 200)
    assert listed["items"] == []


async def test_a_booking_inside_the_service_area_is_accepted(
    api: Client, customer_a: ApiUser, vehicle_a: dict[str, Any], package: dict[str, Any]
) -> None:
    body = booking(vehicle_a, package)
    order = expect(await api.post("/api/orders", json=body, headers=customer_a.headers), 201)
    assert order["status"] == "pending"


async def test_open_orders_are_capped_and_cancelling_one_frees_a_slot(
    api: Client,
    customer_a: ApiUser,
    customer_b: ApiUser,
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
    make_order: Any,
    move: Any,
) -> None:
    booked = [await make_order(customer_a, vehicle_a) for _ in range(CAP)]
    body = booking(vehicle_a, package)
    error = expect(await api.post("/api/orders", json=body, headers=customer_a.headers), 409)
    assert error["code"] == "too_many_open_orders"
    assert error["limit"] == CAP

    await make_order(customer_b)  # another customer's orders do not count

    expect(await move(customer_a, booked[0]["id"], "cancelled"), 200)
    expect(await api.post("/api/orders", json=body, headers=customer_a.headers), 201)
    expect(await api.post("/api/orders", json=body, headers=customer_a.headers), 409)
