"""Order pricing by vehicle size, in integer cents so no float ever touches money."""

from __future__ import annotations

from enum import StrEnum


class VehicleSize(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    XL = "xl"


SIZE_MULTIPLIER_PERCENT: dict[VehicleSize, int] = {
    VehicleSize.SMALL: 100,
    VehicleSize.MEDIUM: 115,
    VehicleSize.LARGE: 130,
    VehicleSize.XL: 150,
}


def price_order_cents(base_price_cents: int, size: VehicleSize) -> int:
    """The price of a service for a vehicle size, rounded half up to the cent.

    Integer arithmetic only: ``base * percent / 100`` with the half cent rounded up, so
    the same inputs give the same price on every machine and in every language.
    """
    if base_price_cents < 0:
        raise ValueError("base price cannot be negative")
    percent = SIZE_MULTIPLIER_PERCENT[VehicleSize(size)]
    return (base_price_cents * percent + 50) // 100
