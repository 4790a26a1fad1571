"""The simulator's movement maths: inside the area, exactly to the address, never too fast,
and the same city for the same seed."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from washline_simulator.coords import LatLng, haversine_m
from washline_simulator.geo import (
    AUSTIN,
    METERS_PER_DEGREE_LAT,
    Area,
    Route,
    Trip,
    Wander,
    bearing_deg,
    offset,
    plan_route,
    sample_trip,
)

CITY = Area(*AUSTIN)
TINY = Area(30.2600, -97.7500, 30.2650, -97.7440)  # about 550 m x 580 m
EPSILON_M = 1e-6
RELATIVE = 1 + 1e-4
"""Linear steps in degrees are not exactly linear in metres: a few ppm, far below GPS noise."""


def trips(seed: int, area: Area, count: int, speed: float) -> list[Trip]:
    rng = random.Random(seed)
    return [
        Trip(plan_route(area.random_point(rng), area.random_point(rng), rng, area), speed)
        for _ in range(count)
    ]


def test_area_parses_and_refuses_nonsense() -> None:
    assert Area.parse("30.21, -97.81, 30.33, -97.67") == CITY
    assert Area.from_mapping({"south": 1, "west": 2, "north": 3, "east": 4}) == Area(1, 2, 3, 4)
    for text in ("1,2,3", "a,b,c,d", "30.33,-97.81,30.21,-97.67", "0,10,1,5", "0,0,1,nan"):
        with pytest.raises(ValueError):
            Area.parse(text)


def test_clamp_keeps_inside_points_and_pulls_outside_ones_to_the_edge() -> None:
    inside = LatLng(30.25, -97.75)
    assert CITY.clamp(inside) == inside
    assert CITY.clamp(LatLng(31.0, -99.0)) == LatLng(CITY.north, CITY.west)
    assert CITY.contains(CITY.clamp(LatLng(-5.0, 20.0)))


def test_an_area_grows_to_include_outside_points_only() -> None:
    outside = LatLng(30.40, -97.90)
    grown = CITY.including(outside, CITY.center)
    assert grown == Area(CITY.south, -97.90, 30.40, CITY.east)
    assert CITY.including(CITY.center) == CITY


@pytest.mark.parametrize("area", [CITY, TINY])
def test_random_points_stay_inside_and_keep_the_margin(area: Area) -> None:
    rng = random.Random(3)
    for _ in range(2000):
        point = area.random_point(rng, margin_m=80.0)
        assert area.contains(point)
        if area is CITY:
            assert (point.lat - area.south) * METERS_PER_DEGREE_LAT >= 80.0 - 1e-6
            assert (area.north - point.lat) * METERS_PER_DEGREE_LAT >= 80.0 - 1e-6


def test_bearings_point_the_right_way() -> None:
    here = LatLng(30.26, -97.75)
    assert bearing_deg(here, offset(here, 500, 0)) == pytest.approx(0.0, abs=0.01)
    assert bearing_deg(here, offset(here, 0, 500)) == pytest.approx(90.0, abs=0.01)
    assert bearing_deg(here, offset(here, -500, 0)) == pytest.approx(180.0, abs=0.01)
    assert bearing_deg(here, offset(here, 0, -500)) == pytest.approx(270.0, abs=0.01)
    assert bearing_deg(here, here) == 0.0


def test_offset_moves_by_the_requested_metres() -> None:
    here = LatLng(30.26, -97.75)
    assert haversine_m(here, offset(here, 300, 400)) == pytest.approx(500.0, rel=1e-4)


@pytest.mark.parametrize("area", [CITY, TINY])
def test_routes_start_and_end_exactly_and_stay_inside(area: Area) -> None:
    rng = random.Random(11)
    edge_points = [LatLng(area.south, area.west), LatLng(area.north, area.east)]
    for index in range(300):
        start = area.random_point(rng) if index % 10 else edge_points[0]
        end = area.random_point(rng) if index % 7 else edge_points[1]
        route = plan_route(start, end, rng, area)
        assert route.start == start
        assert route.end == end
        assert all(area.contains(p) for p in route.waypoints)
        assert route.length_m >= haversine_m(start, end) - EPSILON_M


def test_routes_look_like_streets_two_or_three_turns_at_most() -> None:
    rng = random.Random(5)
    for _ in range(100):
        route = plan_route(CITY.random_point(rng), CITY.random_point(rng), rng, CITY)
        assert 2 <= len(route.waypoints) <= 4
        legs = list(itertools.pairwise(route.waypoints))
        # Every leg but the jittered ends of the corners runs (almost) along one axis.
        for a, b in legs[1:-1]:
            assert min(abs(a.lat - b.lat), abs(a.lng - b.lng)) < 0.0005


@pytest.mark.parametrize("speed", [5.0, 14.0, 40.0])
def test_a_trip_respects_the_speed_and_arrives_exactly(speed: float) -> None:
    for trip in trips(seed=21, area=CITY, count=40, speed=speed):
        steps = sample_trip(trip, interval_s=1.0)
        assert steps[0].position == trip.route.start
        assert steps[-1].position == trip.route.end
        assert steps[-1].done and not any(step.done for step in steps[:-1])
        assert trip.duration_s <= len(steps) - 1 < trip.duration_s + 1  # no dawdling
        for before, after in itertools.pairwise(steps):
            assert haversine_m(before.position, after.position) <= speed * 1.0 * RELATIVE
            assert CITY.contains(after.position)
        assert all(step.speed == speed for step in steps[:-1])
        assert all(0.0 <= step.heading < 360.0 for step in steps)


def test_late_ticks_never_make_the_car_faster() -> None:
    """Positions come from elapsed time: uneven gaps between fixes keep the implied speed."""
    rng = random.Random(8)
    for trip in trips(seed=9, area=CITY, count=20, speed=20.0):
        elapsed, last = 0.0, trip.at(0.0)
        while not last.done:
            gap = rng.choice((0.2, 0.9, 1.0, 1.7, 3.0))
            elapsed += gap
            step = trip.at(elapsed)
            assert haversine_m(last.position, step.position) <= 20.0 * gap * RELATIVE
            last = step
        assert last.position == trip.route.end


def test_the_distance_driven_grows_along_the_route() -> None:
    route = Route([LatLng(30.25, -97.76), LatLng(30.25, -97.74), LatLng(30.27, -97.74)])
    driven = [haversine_m(route.start, route.point_at(d)) for d in range(0, 1900, 100)]
    assert driven == sorted(driven)
    assert route.point_at(-5) == route.start
    assert route.point_at(route.length_m + 5) == route.end
    assert route.heading_at(10) == pytest.approx(90.0, abs=0.1)
    assert route.heading_at(route.length_m - 10) == pytest.approx(0.0, abs=0.1)


def test_a_trip_to_where_the_car_already_is_is_over_at_once() -> None:
    here = LatLng(30.26, -97.75)
    trip = Trip(Route([here, here]), 14.0)
    assert trip.duration_s == 0.0
    assert sample_trip(trip) == [trip.at(0)]
    assert trip.at(0).done and trip.at(0).position == here


def test_impossible_speeds_and_intervals_are_refused() -> None:
    route = Route([LatLng(30.26, -97.75)])
    for speed in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError):
            Trip(route, speed)
    with pytest.raises(ValueError):
        sample_trip(Trip(route, 1.0), interval_s=0)


def test_the_same_seed_draws_the_same_city_and_another_seed_another() -> None:
    def city(seed: int) -> list[tuple[LatLng, ...]]:
        return [tuple(s.position for s in sample_trip(t)) for t in trips(seed, CITY, 5, 14.0)]

    assert city(7) == city(7)
    assert city(7) != city(8)


def test_idle_wandering_stays_inside_a_tiny_area_and_stays_slow() -> None:
    rng = random.Random(2)
    wander = Wander(LatLng(TINY.north, TINY.east), rng, TINY, max_speed_mps=3.0)
    previous = wander.position
    for _ in range(3000):
        step = wander.step(1.0)
        assert TINY.contains(step.position)
        assert haversine_m(previous, step.position) <= 3.0 * RELATIVE
        assert 0.0 <= step.speed <= 3.0
        assert 0.0 <= step.heading < 360.0
        previous = step.position


def test_wandering_is_deterministic_for_a_seed() -> None:
    def walk(seed: int) -> list[LatLng]:
        wander = Wander(CITY.center, random.Random(seed), CITY)
        return [wander.step(1.0).position for _ in range(50)]

    assert walk(4) == walk(4)
    assert walk(4) != walk(5)
