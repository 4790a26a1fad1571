"""Booking limits: the served area and the per-customer open-order cap."""

from __future__ import annotations

import pytest

from domain.booking import CLOSED_STATUSES, OPEN_STATUSES, check_open_orders, check_service_area
from domain.errors import Refusal, RefusalKind
from domain.geo import LatLng, ServiceArea
from domain.orders import OrderStatus

AUSTIN = ServiceArea(south=30.21, west=-97.81, north=30.33, east=-97.67)


@pytest.mark.parametrize(
    "point",
    [LatLng(30.2672, -97.7431), LatLng(30.21, -97.81), LatLng(30.33, -97.67)],
    ids=["centre", "south-west corner", "north-east corner"],
)
def test_an_address_inside_the_area_or_on_its_edge_may_be_booked(point: LatLng) -> None:
    check_service_area(AUSTIN, point)


@pytest.mark.parametrize(
    "point",
    [LatLng(10.0, 10.0), LatLng(30.2672, -97.6699), LatLng(30.2099, -97.7431)],
    ids=["far away", "just east", "just south"],
)
def test_an_address_outside_the_area_is_refused_as_invalid(point: LatLng) -> None:
    with pytest.raises(Refusal) as refused:
        check_service_area(AUSTIN, point)
    assert refused.value.code == "outside_service_area"
    assert refused.value.kind is RefusalKind.INVALID


@pytest.mark.parametrize("open_count", [0, 1, 2])
def test_a_customer_under_the_cap_may_book(open_count: int) -> None:
    check_open_orders(open_count, 3)


@pytest.mark.parametrize("open_count", [3, 4, 50])
def test_a_customer_at_the_cap_is_refused_as_a_conflict(open_count: int) -> None:
    with pytest.raises(Refusal) as refused:
        check_open_orders(open_count, 3)
    assert refused.value.code == "too_many_open_orders"
    assert refused.value.kind is RefusalKind.CONFLICT
    assert refused.value.fields == {"limit": 3}


def test_finished_cancelled_and_no_show_orders_are_not_open() -> None:
    assert {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.NO_SHOW} == CLOSED_STATUSES
    assert set(OrderStatus) == OPEN_STATUSES | CLOSED_STATUSES
    assert OrderStatus.PENDING in OPEN_STATUSES
