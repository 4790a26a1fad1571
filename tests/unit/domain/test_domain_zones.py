"""Zones: H3 cells, supply next door, the nearest hotspot, and quotes that hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import h3
import msgspec

from domain.geo import LatLng
from domain.quotes import BookingFacts, QuoteFacts, quote_problem
from domain.zones import (
    around,
    compass,
    is_zone,
    nearest_hotspot,
    supply_by_zone,
    zone_center,
    zone_of,
)

DOWNTOWN = LatLng(30.27, -97.74)


def test_a_point_has_one_zone_of_the_resolution() -> None:
    zone = zone_of(DOWNTOWN, 7)
    assert is_zone(zone)
    assert h3.get_resolution(zone) == 7
    assert zone_of(zone_center(zone), 7) == zone


def test_zone_names_are_canonical_only() -> None:
    zone = zone_of(DOWNTOWN, 7)
    assert not is_zone(zone.upper())
    assert not is_zone("8" + "f" * 14)
    assert not is_zone("zone")


def test_supply_counts_washers_in_and_next_to_a_zone() -> None:
    zone = zone_of(DOWNTOWN, 7)
    neighbour = next(iter(around(zone) - {zone}))
    far = zone_of(LatLng(30.40, -97.60), 7)
    counts = supply_by_zone([zone, neighbour, neighbour, far], [zone, far])
    assert counts == {zone: 3, far: 1}


def test_compass_points() -> None:
    assert compass(DOWNTOWN, LatLng(30.30, -97.74)) == "north"
    assert compass(DOWNTOWN, LatLng(30.27, -97.70)) == "east"
    assert compass(DOWNTOWN, LatLng(30.24, -97.77)) == "south-west"


def test_the_nearest_hotspot_is_named_with_distance_and_direction() -> None:
    here = zone_of(DOWNTOWN, 7)
    north = zone_of(LatLng(30.29, -97.74), 7)
    far_north = zone_of(LatLng(30.33, -97.74), 7)
    spot = nearest_hotspot(here, {here: 200, north: 150, far_north: 200})
    assert spot is not None
    assert spot.zone == north
    assert spot.direction == "north"
    assert spot.summary == f"high demand {round(spot.distance_m / 1000)} km north"
    assert nearest_hotspot(here, {here: 200, north: 110}) is None


NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
QUOTE = QuoteFacts(customer_id=1, vehicle_id=2, package_id=3, zone="z", expires_at=NOW, used=False)
BOOKING = BookingFacts(customer_id=1, vehicle_id=2, package_id=3, zone="z")


def test_a_valid_quote_prices_the_booking() -> None:
    assert quote_problem(QUOTE, BOOKING, NOW - timedelta(seconds=1)) is None


def test_a_quote_is_refused_when_expired_foreign_used_or_for_something_else() -> None:
    before = NOW - timedelta(seconds=1)
    assert quote_problem(QUOTE, BOOKING, NOW) == "the quote expired"
    assert quote_problem(None, BOOKING, before) is not None
    foreign = BookingFacts(customer_id=9, vehicle_id=2, package_id=3, zone="z")
    assert quote_problem(QUOTE, foreign, before) == "no such quote for this customer"
    assert quote_problem(msgspec.structs.replace(QUOTE, used=True), BOOKING, before)
    other = msgspec.structs.replace(BOOKING, package_id=4)
    assert quote_problem(QUOTE, other, before) == "the quote was for another vehicle or package"
    moved = msgspec.structs.replace(BOOKING, zone="y")
    assert quote_problem(QUOTE, moved, before) == "the quote was for another place"
