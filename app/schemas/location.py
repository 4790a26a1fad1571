from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from app.schemas.common import Latitude, Longitude

MAX_BATCH = 100


class FixIn(msgspec.Struct, forbid_unknown_fields=True):
    lat: Latitude
    lng: Longitude
    ts: datetime
    heading: float | None = None
    speed: float | None = None
    accuracy: float | None = None


class LocationBatchIn(msgspec.Struct, forbid_unknown_fields=True):
    fixes: Annotated[list[FixIn], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


class FixResultOut(msgspec.Struct):
    ts: datetime
    accepted: bool
    reason: str | None = None


class LocationBatchOut(msgspec.Struct):
    accepted: int
    rejected: int
    results: list[FixResultOut]
    eta_seconds: int | None
    order_id: int | None
