"""Who may book another wash: only inside the served area, and only a few open orders each.

Both limits exist so that one customer cannot fill the dispatch queue with orders nobody
can serve (an address no washer ever reaches, or dozens of bookings at once) and so delay
everyone else's orders.
"""

from __future__ import annotations

from domain.errors import Conflict, Invalid
from domain.geo import LatLng, ServiceArea
from domain.orders import TERMINAL_STATUSES, OrderStatus

CLOSED_STATUSES: frozenset[OrderStatus] = TERMINAL_STATUSES | {OrderStatus.NO_SHOW}
"""Orders in these states no longer wait for or occupy a washer; every other one is open."""

OPEN_STATUSES: frozenset[OrderStatus] = frozenset(OrderStatus) - CLOSED_STATUSES
"""What counts against a customer's open-order cap."""

OUTSIDE_SERVICE_AREA = "outside_service_area"
TOO_MANY_OPEN_ORDERS = "too_many_open_orders"


def check_service_area(area: ServiceArea, position: LatLng) -> None:
    """Refuse an address outside ``area`` (edges included): no washer is sent there, so the
    order would only wait in the dispatch queue. The request is wrong as sent (``Invalid``)."""
    if not area.contains(position):
        raise Invalid(
            OUTSIDE_SERVICE_AREA,
            "this address is outside the area we serve",
            area={"south": area.south, "west": area.west, "north": area.north, "east": area.east},
        )


def check_open_orders(open_count: int, limit: int) -> None:
    """Refuse a booking that would give a customer more than ``limit`` open orders.

    A ``Conflict``: the same request succeeds once one of the open orders is finished or
    cancelled.
    """
    if open_count >= limit:
        raise Conflict(
            TOO_MANY_OPEN_ORDERS,
            f"at most {limit} open orders per customer; finish or cancel one first",
            limit=limit,
        )
