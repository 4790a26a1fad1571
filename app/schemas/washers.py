from __future__ import annotations

from datetime import datetime

import msgspec

from app.schemas.common import Email, Password, PersonName


class WasherIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    full_name: PersonName
    is_available: bool = False


class WasherPatch(msgspec.Struct, forbid_unknown_fields=True):
    full_name: PersonName | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET
    is_available: bool | msgspec.UnsetType = msgspec.UNSET


class AvailabilityIn(msgspec.Struct, forbid_unknown_fields=True):
    is_available: bool


class WasherOut(msgspec.Struct):
    id: int
    email: str
    full_name: str
    is_active: bool
    is_available: bool
    rating_average: float
    rating_count: int
    last_lat: float | None
    last_lng: float | None
    last_fix_at: datetime | None
