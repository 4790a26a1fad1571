"""Points, the served box and distances on a spherical Earth: the little geometry the
simulator shares with every other client of the API.

The server measures on the same sphere (mean Earth radius), so "75 m from the address"
means the same on both sides of the wire.
"""

from __future__ import annotations

import math
from typing import Self

import msgspec

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG)."""


class LatLng(msgspec.Struct, frozen=True):
    lat: float
    lng: float


def is_valid_coordinate(lat: float, lng: float) -> bool:
    """Finite, latitude in [-90, 90], longitude in [-180, 180]."""
    return (
        math.isfinite(lat)
        and math.isfinite(lng)
        and -90.0 <= lat <= 90.0
        and -180.0 <= lng <= 180.0
    )


class ServiceArea(msgspec.Struct, frozen=True):
    """The rectangle the business serves, as the server announces it (south, west, north,
    east in degrees); refused when its corners are not a box on the map."""

    south: float
    west: float
    north: float
    east: float

    def __post_init__(self) -> None:
        corners = (self.south, self.west), (self.north, self.east)
        if not all(is_valid_coordinate(lat, lng) for lat, lng in corners):
            raise ValueError("corners must be valid coordinates")
        if not (self.south < self.north and self.west < self.east):
            raise ValueError("expected south < north and west < east")

    @classmethod
    def parse(cls, text: str) -> Self:
        """From ``"south,west,north,east"`` in degrees; ValueError when malformed."""
        parts = [part.strip() for part in text.split(",")]
        if len(parts) != 4:
            raise ValueError("expected four numbers: south,west,north,east")
        south, west, north, east = (float(part) for part in parts)
        return cls(south, west, north, east)

    def contains(self, point: LatLng) -> bool:
        return self.south <= point.lat <= self.north and self.west <= point.lng <= self.east

    @property
    def center(self) -> LatLng:
        return LatLng((self.south + self.north) / 2, (self.west + self.east) / 2)


def haversine_m(a: LatLng, b: LatLng) -> float:
    """Great-circle distance in metres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlng = math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
