"""Demand zones: the service area cut into H3 hexagons, and where the nearest busy one is.

A zone is an H3 cell (its 15-hex-digit name, e.g. ``87489e346ffffff``); the resolution is a
setting (7 by default: cells about 2.5 km across). H3 is pure computation, so these stay
rules: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import h3
import msgspec

from domain.geo import LatLng, haversine_m

DEFAULT_ZONE_RESOLUTION = 7
MIN_RESOLUTION = 5
MAX_RESOLUTION = 9
"""From cells about 20 km across down to about 0.4 km: anything else is not a city zone."""


class ZoneLoad(msgspec.Struct, frozen=True):
    """What a zone asks and has: orders waiting or booked lately, idle washers in or next
    to it."""

    demand: int
    supply: int


class Hotspot(msgspec.Struct, frozen=True):
    """The nearest zone that pays more, as a washer's screen says it."""

    zone: str
    multiplier: float
    distance_m: int
    direction: str
    summary: str


def zone_of(position: LatLng, resolution: int) -> str:
    """The zone a point falls in."""
    return str(h3.latlng_to_cell(position.lat, position.lng, resolution))


def is_zone(name: str) -> bool:
    """Whether ``name`` is a canonical (lower-case) H3 cell name."""
    return (
        isinstance(name, str)
        and len(name) == 15
        and name == name.lower()
        and bool(h3.is_valid_cell(name))
    )


def zone_center(zone: str) -> LatLng:
    lat, lng = h3.cell_to_latlng(zone)
    return LatLng(lat, lng)


def zone_boundary(zone: str) -> list[tuple[float, float]]:
    """The hexagon's corners as (lat, lng), for a map."""
    return [(float(lat), float(lng)) for lat, lng in h3.cell_to_boundary(zone)]


def around(zone: str) -> set[str]:
    """The zone and its six neighbours: where an idle washer counts as supply."""
    return set(h3.grid_disk(zone, 1))


def supply_by_zone(washer_zones: Iterable[str], zones: Iterable[str]) -> dict[str, int]:
    """For each of ``zones``, the idle washers in it or next to it."""
    wanted = set(zones)
    counts = dict.fromkeys(wanted, 0)
    for washer_zone in washer_zones:
        for zone in around(washer_zone) & wanted:
            counts[zone] += 1
    return counts


_COMPASS = (
    "north",
    "north-east",
    "east",
    "south-east",
    "south",
    "south-west",
    "west",
    "north-west",
)


def compass(origin: LatLng, target: LatLng) -> str:
    """The eight-point direction from ``origin`` to ``target``."""
    lat1, lat2 = math.radians(origin.lat), math.radians(target.lat)
    d_lng = math.radians(target.lng - origin.lng)
    x = math.sin(d_lng) * math.cos(lat2)
    y = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(d_lng)
    bearing = (math.degrees(math.atan2(x, y)) + 360) % 360
    return _COMPASS[int((bearing + 22.5) // 45) % 8]


def nearest_hotspot(
    zone: str, multipliers: Mapping[str, int], *, min_pct: int = 120
) -> Hotspot | None:
    """The closest other zone surging at ``min_pct`` or more, for washers in ``zone``
    (``None`` when nothing around pays more)."""
    origin = zone_center(zone)
    best: tuple[float, str, int] | None = None
    for other, pct in multipliers.items():
        if other == zone or pct < min_pct:
            continue
        distance = haversine_m(origin, zone_center(other))
        if best is None or (distance, other) < (best[0], best[1]):
            best = (distance, other, pct)
    if best is None:
        return None
    distance, other, pct = best
    direction = compass(origin, zone_center(other))
    km = max(1, round(distance / 1000))
    return Hotspot(
        zone=other,
        multiplier=round(pct / 100, 2),
        distance_m=round(distance),
        direction=direction,
        summary=f"high demand {km} km {direction}",
    )
