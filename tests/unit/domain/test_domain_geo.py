"""Distances against known values, ETA rules, and the geofence boundary."""

from __future__ import annotations

import math

import pytest

from domain.geo import (
    CITY_SPEED_MPS,
    EARTH_RADIUS_M,
    GEOFENCE_RADIUS_M,
    LatLng,
    eta_seconds,
    haversine_m,
    is_valid_coordinate,
    round_coordinate,
    within_geofence,
)

PARIS = LatLng(lat=48.8566, lng=2.3522)
LONDON = LatLng(lat=51.5074, lng=-0.1278)
METRES_PER_DEGREE_LAT = EARTH_RADIUS_M * math.pi / 180


def north_of(origin: LatLng, metres: float) -> LatLng:
    return LatLng(lat=origin.lat + metres / METRES_PER_DEGREE_LAT, lng=origin.lng)


def test_paris_to_london() -> None:
    assert haversine_m(PARIS, LONDON) == pytest.approx(343_500, rel=0.005)


def test_new_york_to_los_angeles() -> None:
    new_york, los_angeles = LatLng(40.7128, -74.0060), LatLng(34.0522, -118.2437)
    assert haversine_m(new_york, los_angeles) == pytest.approx(3_936_000, rel=0.005)


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert haversine_m(LatLng(0, 0), LatLng(1, 0)) == pytest.approx(111_195, rel=0.001)


def test_distance_is_symmetric_and_zero_to_itself() -> None:
    assert haversine_m(PARIS, PARIS) == 0.0
    assert haversine_m(PARIS, LONDON) == haversine_m(LONDON, PARIS)


def test_antipodes_are_half_the_circumference() -> None:
    assert haversine_m(LatLng(0, 0), LatLng(0, 180)) == pytest.approx(math.pi * EARTH_RADIUS_M)


@pytest.mark.parametrize(
    ("lat", "lng", "valid"),
    [
        (0.0, 0.0, True),
        (90.0, 180.0, True),
        (-90.0, -180.0, True),
        (90.0001, 0.0, False),
        (0.0, -180.0001, False),
        (math.nan, 0.0, False),
        (0.0, math.inf, False),
    ],
)
def test_is_valid_coordinate(lat: float, lng: float, valid: bool) -> None:
    assert is_valid_coordinate(lat, lng) is valid


@pytest.mark.parametrize(
    ("distance", "speed", "expected"),
    [
        (800.0, None, 130),  # 800 * 1.3 / 8
        (800.0, 10.0, 104),  # plausible reported speed is used
        (800.0, 2.0, 520),  # 2 m/s is still plausible
        (800.0, 1.9, 130),  # crawling: city speed instead
        (800.0, 0.0, 130),
        (800.0, 500.0, 130),  # glitch: city speed instead
        (800.0, math.nan, 130),
        (1.0, None, 1),  # rounds up
        (0.0, None, 0),
        (-50.0, None, 0),  # never negative
        (math.nan, None, 0),
    ],
)
def test_eta_seconds(distance: float, speed: float | None, expected: int) -> None:
    assert eta_seconds(distance, speed) == expected


def test_city_speed() -> None:
    assert CITY_SPEED_MPS == 8.0


def test_geofence_boundary() -> None:
    home = LatLng(48.8566, 2.3522)
    assert GEOFENCE_RADIUS_M == 75.0
    assert within_geofence(home, home)
    assert within_geofence(north_of(home, 74.9), home)
    assert not within_geofence(north_of(home, 75.1), home)


def test_geofence_boundary_is_inclusive() -> None:
    home = LatLng(48.8566, 2.3522)
    edge = north_of(home, 75.0)
    assert within_geofence(edge, home, radius_m=haversine_m(edge, home))


def test_geofence_custom_radius() -> None:
    home = LatLng(48.8566, 2.3522)
    assert within_geofence(north_of(home, 150.0), home, radius_m=200.0)
    assert not within_geofence(north_of(home, 150.0), home)


def test_coordinates_are_kept_to_six_decimals() -> None:
    assert round_coordinate(30.275199999999998) == 30.2752
    assert round_coordinate(-97.7431234567) == -97.743123
    assert round_coordinate(0.0000004) == 0.0
