"""Distances, ETAs and the geofence, on a spherical Earth (plenty for city distances)."""

from __future__ import annotations

import math
from typing import Self

import msgspec

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG)."""

CITY_SPEED_MPS = 8.0
"""Typical urban driving speed (~29 km/h), used when the washer's speed is unknown."""

MIN_PLAUSIBLE_SPEED_MPS = 2.0
"""Below this the washer is stopped or crawling; their reported speed says nothing about ETA."""

MAX_PLAUSIBLE_SPEED_MPS = 70.0
"""Above this a reported speed is a GPS glitch, not driving."""

ROAD_DETOUR_FACTOR = 1.3
"""Roads are longer than the straight line between two points."""

GEOFENCE_RADIUS_M = 75.0
"""A washer this close to the order's address has arrived."""


class LatLng(msgspec.Struct, frozen=True):
    lat: float
    lng: float


class ServiceArea(msgspec.Struct, frozen=True):
    """The rectangle the business serves; the dashboard draws it and the simulator stays in it."""

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


COORDINATE_DECIMALS = 6
"""Six decimal places of a degree is about 0.1 m: finer than any phone's GPS, and short on
the wire (no `30.275199999999998` from floating-point arithmetic)."""


def round_coordinate(degrees: float) -> float:
    """A latitude or longitude as Washline stores and sends it."""
    return round(degrees, COORDINATE_DECIMALS)


def is_valid_coordinate(lat: float, lng: float) -> bool:
    """Finite, latitude in [-90, 90], longitude in [-180, 180]."""
    return (
        math.isfinite(lat)
        and math.isfinite(lng)
        and -90.0 <= lat <= 90.0
        and -180.0 <= lng <= 180.0
    )


def haversine_m(a: LatLng, b: LatLng) -> float:
    """Great-circle distance in metres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlng = math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def eta_seconds(distance_m: float, speed_mps: float | None = None) -> int:
    """Seconds to drive ``distance_m`` (straight-line) by road, rounded up; never negative
    (a zero, negative or non-finite distance gives 0).

    The washer's reported speed is used when plausible (2..70 m/s), else ``CITY_SPEED_MPS``.
    """
    if not math.isfinite(distance_m) or distance_m <= 0:
        return 0
    speed = CITY_SPEED_MPS
    if (
        speed_mps is not None
        and math.isfinite(speed_mps)
        and MIN_PLAUSIBLE_SPEED_MPS <= speed_mps <= MAX_PLAUSIBLE_SPEED_MPS
    ):
        speed = speed_mps
    seconds = distance_m * ROAD_DETOUR_FACTOR / speed
    # Round away float noise first so an exact 130.0 never becomes 131 by ceil.
    return math.ceil(round(seconds, 6))


def within_geofence(position: LatLng, target: LatLng, radius_m: float = GEOFENCE_RADIUS_M) -> bool:
    """True when ``position`` is within ``radius_m`` of ``target``, boundary included."""
    return haversine_m(position, target) <= radius_m
