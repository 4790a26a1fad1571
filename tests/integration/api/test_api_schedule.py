"""`scheduled_for` must name a definite moment in the booking window, else a 400 whose code
says what was wrong. Naive times and years 1 and 9999 were booked before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from domain.schedule import MAX_SCHEDULE_AHEAD
from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]


def booking(vehicle: dict[str, Any], package: dict[str, Any], scheduled_for: str) -> Any:
    return {
        "vehicle_id": vehicle["id"],
        "package_id": package["id"],
        "address": "12 Harbour Street",
        "lat": 52.52,
        "lng": 13.405,
        "scheduled_for": scheduled_for,
    }


def in_days(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


REFUSED = {
    "naive": (lambda: in_days(2).replace(tzinfo=None).isoformat(), "schedule_needs_timezone"),
    "naive year 1": (lambda: "0001-01-01T00:00:00", "schedule_needs_timezone"),
    "year 1": (lambda: "0001-01-01T00:00:00Z", "schedule_in_past"),
    "year 1 east": (lambda: "0001-01-01T00:00:00+14:00", "schedule_in_past"),
    "an hour ago": (lambda: (in_days(-1 / 24)).isoformat(), "schedule_in_past"),
    "year 9999": (lambda: "9999-12-31T23:59:59Z", "schedule_too_far_ahead"),
    "year 9999 west": (lambda: "9999-12-31T23:59:59-12:00", "schedule_too_far_ahead"),
    "past the window": (
        lambda: (datetime.now(UTC) + MAX_SCHEDULE_AHEAD + timedelta(hours=1)).isoformat(),
        "schedule_too_far_ahead",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
async def test_a_time_outside_the_booking_window_is_400(
    api: Client,
    customer_a: ApiUser,
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
    case: str,
) -> None:
    when, code = REFUSED[case]
    body = booking(vehicle_a, package, when())
    error = expect(await api.post("/api/orders", json=body, headers=customer_a.headers), 400)
    assert error["code"] == code, error
    assert error["message"]
    orders = expect(await api.get("/api/orders", headers=customer_a.headers), 200)
    assert orders["total"] == 0


@pytest.mark.parametrize("days", [0, 1, 29.5], ids=["now", "tomorrow", "in 29.5 days"])
async def test_a_time_in_the_booking_window_is_booked(
    api: Client,
    customer_a: ApiUser,
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
    days: float,
) -> None:
    when = in_days(days)
    body = booking(vehicle_a, package, when.isoformat())
    order = expect(await api.post("/api/orders", json=body, headers=customer_a.headers), 201)
    assert datetime.fromisoformat(order["scheduled_for"]) == when
