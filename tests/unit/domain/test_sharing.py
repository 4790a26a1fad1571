"""What a share link lets out of an order's place: a pin rounded to about 110 m."""

from __future__ import annotations

import pytest

from domain.sharing import PIN_DECIMALS, pin


def test_the_destination_pin_is_rounded_to_about_a_hundred_metres() -> None:
    assert PIN_DECIMALS == 3
    assert pin(30.267153, -97.743061) == (30.267, -97.743)
    assert pin(-33.86785, 151.20732) == pytest.approx((-33.868, 151.207))
