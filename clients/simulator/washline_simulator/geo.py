"""Movement maths for simulated cars: the service area, street-like routes, driving and idling.

Pure functions and small value objects, no I/O and no clock: callers pass elapsed seconds
and a seeded `random.Random`, so the same seed draws the same city, and every rule here
(stay inside the area, arrive exactly at the address, never exceed the speed) can be tested
without a server.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from washline_simulator.coords import EARTH_RADIUS_M, LatLng, ServiceArea, haversine_m

METERS_PER_DEGREE_LAT = math.radians(1.0) * EARTH_RADIUS_M
"""Metres per degree of latitude (and of longitude at the equator), on the same sphere the
server measures distances on, so "75 m from the address" means the same to both."""

AUSTIN = (30.21, -97.81, 30.33, -97.67)
"""The service area used when the server does not say which one it serves."""


class Area(ServiceArea, frozen=True):
    """The served box (validation and parsing are `coords.ServiceArea`'s) with what the
    simulator adds: metric size, clamping and random points. Every simulated point stays
    inside it, since the dashboard draws only this box and dispatch reasons about distances
    within it."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Area:
        """From the server's `{"south":..,"west":..,"north":..,"east":..}`; ValueError or
        KeyError/TypeError when the server sent something else."""
        return cls(
            float(data["south"]), float(data["west"]), float(data["north"]), float(data["east"])
        )

    @property
    def height_m(self) -> float:
        return (self.north - self.south) * METERS_PER_DEGREE_LAT

    @property
    def width_m(self) -> float:
        return (
            (self.east - self.west)
            * METERS_PER_DEGREE_LAT
            * math.cos(math.radians(self.center.lat))
        )

    def clamp(self, point: LatLng) -> LatLng:
        """The nearest point inside the box (the point itself when it is inside)."""
        return LatLng(
            min(self.north, max(self.south, point.lat)), min(self.east, max(self.west, point.lng))
        )

    def including(self, *points: LatLng) -> Area:
        """The smallest box holding this one and `points`: the bounds for a route that must
        start or end outside the area (a washer's old position, an order from before)."""
        return Area(
            min(self.south, *(p.lat for p in points)),
            min(self.west, *(p.lng for p in points)),
            max(self.north, *(p.lat for p in points)),
            max(self.east, *(p.lng for p in points)),
        )

    def random_point(self, rng: random.Random, margin_m: float = 0.0) -> LatLng:
        """A uniformly random point, at least `margin_m` from the edges when the box is big
        enough (a margin never exceeds a quarter of a side, so tiny areas still work)."""
        margin_lat = min(margin_m, self.height_m / 4) / METERS_PER_DEGREE_LAT
        margin_lng = min(margin_m, self.width_m / 4) / _meters_per_degree_lng(self.center.lat)
        return LatLng(
            rng.uniform(self.south + margin_lat, self.north - margin_lat),
            rng.uniform(self.west + margin_lng, self.east - margin_lng),
        )


def _meters_per_degree_lng(lat: float) -> float:
    return METERS_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 1e-6)


def offset(point: LatLng, north_m: float, east_m: float) -> LatLng:
    """The point `north_m` metres north and `east_m` metres east of `point` (flat-earth
    approximation, exact enough over the few hundred metres a car moves between fixes)."""
    return LatLng(
        point.lat + north_m / METERS_PER_DEGREE_LAT,
        point.lng + east_m / _meters_per_degree_lng(point.lat),
    )


def bearing_deg(start: LatLng, end: LatLng) -> float:
    """Initial compass bearing from `start` to `end` in [0, 360); 0 when they coincide."""
    lat1, lat2 = math.radians(start.lat), math.radians(end.lat)
    d_lng = math.radians(end.lng - start.lng)
    y = math.sin(d_lng) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(d_lng)
    if x == 0.0 and y == 0.0:
        return 0.0
    return math.degrees(math.atan2(y, x)) % 360.0


def interpolate(start: LatLng, end: LatLng, fraction: float) -> LatLng:
    fraction = min(1.0, max(0.0, fraction))
    return LatLng(
        start.lat + (end.lat - start.lat) * fraction, start.lng + (end.lng - start.lng) * fraction
    )


class Route:
    """A polyline driven from its first waypoint to its last; positions are looked up by the
    distance driven, so a caller that knows elapsed time and speed knows where the car is."""

    def __init__(self, waypoints: list[LatLng]) -> None:
        if not waypoints:
            raise ValueError("a route needs at least one waypoint")
        kept = [waypoints[0]]
        for point in waypoints[1:]:
            if point != kept[-1]:
                kept.append(point)
        self.waypoints: tuple[LatLng, ...] = tuple(kept)
        cumulative = [0.0]
        for a, b in itertools.pairwise(self.waypoints):
            cumulative.append(cumulative[-1] + haversine_m(a, b))
        self._cumulative = tuple(cumulative)

    @property
    def start(self) -> LatLng:
        return self.waypoints[0]

    @property
    def end(self) -> LatLng:
        return self.waypoints[-1]

    @property
    def length_m(self) -> float:
        return self._cumulative[-1]

    def _leg(self, distance_m: float) -> int:
        """Index of the leg (waypoint i to i+1) that contains `distance_m`."""
        for index in range(len(self._cumulative) - 1):
            if distance_m <= self._cumulative[index + 1]:
                return index
        return max(0, len(self._cumulative) - 2)

    def point_at(self, distance_m: float) -> LatLng:
        """Where the car is after driving `distance_m` (clamped to the route's ends)."""
        if len(self.waypoints) == 1 or distance_m >= self.length_m:
            return self.end
        if distance_m <= 0.0:
            return self.start
        leg = self._leg(distance_m)
        leg_start, leg_end = self._cumulative[leg], self._cumulative[leg + 1]
        fraction = (distance_m - leg_start) / (leg_end - leg_start)
        return interpolate(self.waypoints[leg], self.waypoints[leg + 1], fraction)

    def heading_at(self, distance_m: float) -> float:
        """The compass heading of the leg being driven at `distance_m`."""
        if len(self.waypoints) == 1:
            return 0.0
        leg = self._leg(min(max(distance_m, 0.0), self.length_m))
        return bearing_deg(self.waypoints[leg], self.waypoints[leg + 1])


def plan_route(
    start: LatLng,
    end: LatLng,
    rng: random.Random,
    area: Area,
    *,
    jitter_m: float = 15.0,
    zigzag_chance: float = 0.35,
) -> Route:
    """A plausible street path: drive along one axis, turn, drive along the other (an L),
    sometimes with a second turn halfway (a Z), corners nudged a few metres so it does not
    look ruled. Corners are clamped into `area`; the route ends exactly at `end`."""
    start, end = area.clamp(start), area.clamp(end)
    east_west_first = rng.random() < 0.5
    corners: list[LatLng]
    if rng.random() < zigzag_chance:
        share = rng.uniform(0.3, 0.7)
        if east_west_first:
            mid_lng = start.lng + (end.lng - start.lng) * share
            corners = [LatLng(start.lat, mid_lng), LatLng(end.lat, mid_lng)]
        else:
            mid_lat = start.lat + (end.lat - start.lat) * share
            corners = [LatLng(mid_lat, start.lng), LatLng(mid_lat, end.lng)]
    elif east_west_first:
        corners = [LatLng(start.lat, end.lng)]
    else:
        corners = [LatLng(end.lat, start.lng)]
    nudged = [
        area.clamp(
            offset(corner, rng.uniform(-jitter_m, jitter_m), rng.uniform(-jitter_m, jitter_m))
        )
        for corner in corners
    ]
    return Route([start, *nudged, end])


@dataclass(frozen=True, slots=True)
class Step:
    """One position report: where, which way, how fast, and whether the trip is over."""

    position: LatLng
    heading: float
    speed: float
    done: bool = False


class Trip:
    """Driving `route` at a constant `speed_mps`. Positions come from elapsed time, not from
    counting ticks, so a late tick never makes the car jump faster than the speed."""

    def __init__(self, route: Route, speed_mps: float) -> None:
        if not (speed_mps > 0 and math.isfinite(speed_mps)):
            raise ValueError("speed must be a positive number of m/s")
        self.route = route
        self.speed_mps = speed_mps

    @property
    def duration_s(self) -> float:
        return self.route.length_m / self.speed_mps

    def at(self, elapsed_s: float) -> Step:
        driven = max(0.0, elapsed_s) * self.speed_mps
        if driven >= self.route.length_m:
            return Step(self.route.end, self.route.heading_at(self.route.length_m), 0.0, True)
        return Step(self.route.point_at(driven), self.route.heading_at(driven), self.speed_mps)


def sample_trip(trip: Trip, interval_s: float = 1.0) -> list[Step]:
    """The fixes a phone reporting every `interval_s` would send over the whole trip, the
    first at departure and the last exactly at the destination."""
    if interval_s <= 0:
        raise ValueError("interval must be positive")
    steps: list[Step] = []
    tick = 0
    while True:
        step = trip.at(tick * interval_s)
        steps.append(step)
        if step.done:
            return steps
        tick += 1


class Wander:
    """A car pottering about between jobs: slow, with a heading that drifts smoothly, turning
    back towards the middle of the area before it would leave it."""

    def __init__(
        self,
        position: LatLng,
        rng: random.Random,
        area: Area,
        *,
        max_speed_mps: float = 3.0,
        turn_deg: float = 25.0,
    ) -> None:
        self.position = area.clamp(position)
        self.heading = rng.uniform(0.0, 360.0)
        self._rng = rng
        self._area = area
        self._max_speed = max_speed_mps
        self._turn = turn_deg

    def step(self, seconds: float) -> Step:
        """Move for `seconds` and return the new fix; never faster than `max_speed_mps`."""
        speed = self._rng.uniform(0.0, self._max_speed)
        self.heading = (self.heading + self._rng.uniform(-self._turn, self._turn)) % 360.0
        candidate = self._advance(speed * max(0.0, seconds))
        if not self._area.contains(candidate):
            self.heading = bearing_deg(self.position, self._area.center)
            candidate = self._area.clamp(self._advance(speed * max(0.0, seconds)))
        self.position = candidate
        return Step(candidate, self.heading, speed)

    def _advance(self, metres: float) -> LatLng:
        radians = math.radians(self.heading)
        return offset(self.position, metres * math.cos(radians), metres * math.sin(radians))

    def move_to(self, position: LatLng) -> None:
        """Continue idling from where a trip ended."""
        self.position = self._area.clamp(position)
