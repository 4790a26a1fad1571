from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain.pricing import VehicleSize
from domain.text import Text

Make = Annotated[Text, msgspec.Meta(min_length=1, max_length=60)]
Plate = Annotated[Text, msgspec.Meta(min_length=1, max_length=16)]
Color = Annotated[Text, msgspec.Meta(max_length=30)]
PackageName = Annotated[Text, msgspec.Meta(min_length=1, max_length=80)]
Description = Annotated[Text, msgspec.Meta(max_length=1000)]
PriceCents = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
Minutes = Annotated[int, msgspec.Meta(ge=5, le=24 * 60)]


class VehicleIn(msgspec.Struct, forbid_unknown_fields=True):
    make: Make
    model: Make
    plate: Plate
    size: VehicleSize
    color: Color | None = None


class VehiclePatch(msgspec.Struct, forbid_unknown_fields=True):
    make: Make | msgspec.UnsetType = msgspec.UNSET
    model: Make | msgspec.UnsetType = msgspec.UNSET
    plate: Plate | msgspec.UnsetType = msgspec.UNSET
    size: VehicleSize | msgspec.UnsetType = msgspec.UNSET
    color: Color | msgspec.UnsetType | None = msgspec.UNSET


class VehicleOut(msgspec.Struct):
    id: int
    owner_id: int
    make: str
    model: str
    plate: str
    size: str
    color: str | None
    created_at: datetime


class PackageIn(msgspec.Struct, forbid_unknown_fields=True):
    name: PackageName
    base_price_cents: PriceCents
    duration_minutes: Minutes
    description: Description = ""
    is_active: bool = True


class PackagePatch(msgspec.Struct, forbid_unknown_fields=True):
    name: PackageName | msgspec.UnsetType = msgspec.UNSET
    base_price_cents: PriceCents | msgspec.UnsetType = msgspec.UNSET
    duration_minutes: Minutes | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET


class PackageOut(msgspec.Struct):
    id: int
    name: str
    description: str
    base_price_cents: int
    duration_minutes: int
    is_active: bool
