"""Coordinates go out with six decimals (about 0.1 m), never with floating-point noise."""

from __future__ import annotations

from typing import Any

from tests.support.api import ApiUser

NOISY_LAT, NOISY_LNG = 52.519999999999996, 13.405000000000001


async def test_an_order_keeps_and_sends_its_coordinates_rounded(
    make_order: Any, customer_a: ApiUser
) -> None:
    order = await make_order(customer_a, lat=NOISY_LAT, lng=NOISY_LNG)
    assert (order["lat"], order["lng"]) == (52.52, 13.405)
