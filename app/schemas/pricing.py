"""Quotes, zone prices and the admin's zone controls, as they travel."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from app.schemas.common import Latitude, Longitude, PositiveId

QuoteToken = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Multiplier = Annotated[float, msgspec.Meta(ge=1.0, le=10.0)]


class QuoteIn(msgspec.Struct, forbid_unknown_fields=True):
    vehicle_id: PositiveId
    package_id: PositiveId
    lat: Latitude
    lng: Longitude


class QuoteOut(msgspec.Struct):
    quote_id: str
    """Send it as `quote_id` when booking to pay exactly `price_cents`."""
    price_cents: int
    base_price_cents: int
    multiplier: float
    zone: str
    expires_at: datetime


class ZoneOut(msgspec.Struct):
    zone: str
    multiplier: float
    demand: int
    supply: int
    cap: float | None
    pin: float | None
    updated_at: datetime | None
    boundary: list[tuple[float, float]]


class ZoneControlIn(msgspec.Struct, forbid_unknown_fields=True):
    """An admin's cap or pin for a zone; `null` lifts it."""

    cap: Multiplier | None = None
    pin: Multiplier | None = None
