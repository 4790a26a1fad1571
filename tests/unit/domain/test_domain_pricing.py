"""Pricing: integer cents, half a cent rounds up."""

from __future__ import annotations

import pytest

from domain.pricing import SIZE_MULTIPLIER_PERCENT, VehicleSize, price_order_cents


def test_multipliers() -> None:
    assert SIZE_MULTIPLIER_PERCENT == {
        VehicleSize.SMALL: 100,
        VehicleSize.MEDIUM: 115,
        VehicleSize.LARGE: 130,
        VehicleSize.XL: 150,
    }


@pytest.mark.parametrize(
    ("base", "size", "expected"),
    [
        (1000, VehicleSize.SMALL, 1000),
        (1000, VehicleSize.MEDIUM, 1150),
        (1000, VehicleSize.LARGE, 1300),
        (1000, VehicleSize.XL, 1500),
        (10, VehicleSize.MEDIUM, 12),  # 11.5 -> 12: half rounds up
        (1, VehicleSize.XL, 2),  # 1.5 -> 2
        (30, VehicleSize.MEDIUM, 35),  # 34.5 -> 35
        (1, VehicleSize.MEDIUM, 1),  # 1.15 -> 1
        (3, VehicleSize.LARGE, 4),  # 3.9 -> 4
        (999, VehicleSize.MEDIUM, 1149),  # 1148.85 -> 1149
        (2999, VehicleSize.LARGE, 3899),  # 3898.7 -> 3899
        (0, VehicleSize.XL, 0),
    ],
)
def test_price_rounds_half_up_to_the_cent(base: int, size: VehicleSize, expected: int) -> None:
    assert price_order_cents(base, size) == expected


def test_size_given_as_its_wire_value() -> None:
    assert price_order_cents(1000, "large") == 1300  # type: ignore[arg-type]


def test_negative_base_is_refused() -> None:
    with pytest.raises(ValueError):
        price_order_cents(-1, VehicleSize.SMALL)


def test_large_prices_stay_exact() -> None:
    assert price_order_cents(10**15 + 1, VehicleSize.MEDIUM) == 115 * 10**13 + 1
