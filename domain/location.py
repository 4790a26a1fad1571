"""Validation of washers' GPS fixes before they reach the geo index, tracking and geofence.

A fix that fails here is dropped with a reason; it must never move a washer on a customer's
map or trigger an arrival.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import msgspec

from domain.errors import Invalid
from domain.geo import LatLng, ServiceArea, haversine_m, is_valid_coordinate


class LocationFix(msgspec.Struct, frozen=True):
    """One GPS fix as the phone reports it. ``ts`` is the phone's time of the fix, aware UTC.

    ``heading`` in degrees (0..360), ``speed`` in m/s, ``accuracy`` in metres (radius).
    """

    lat: float
    lng: float
    ts: datetime
    heading: float | None = None
    speed: float | None = None
    accuracy: float | None = None

    @property
    def position(self) -> LatLng:
        return LatLng(lat=self.lat, lng=self.lng)


class FixLimits(msgspec.Struct, frozen=True):
    """Tunable limits. ``speed_check_window``: the implied-speed check is skipped when the
    previous fix is older than this (the washer may have driven with the app closed).
    ``area``: where fixes may come from; one outside it is refused, so it never becomes the
    washer's position nor the reference the next fix's speed is checked against."""

    max_future_skew: timedelta = timedelta(seconds=5)
    max_speed_mps: float = 70.0
    max_accuracy_m: float = 200.0
    max_age: timedelta = timedelta(days=1)
    speed_check_window: timedelta = timedelta(minutes=10)
    area: ServiceArea | None = None


DEFAULT_FIX_LIMITS = FixLimits()


INVALID_FIX = "invalid_fix"


class FixRejected(Invalid):
    """A fix refused by :func:`validate_fix`; ``reason`` is a stable machine-readable code.

    Every rejection has the code ``invalid_fix``; the ``reason`` (also in ``fields``) says
    which check failed, so a client can tell a bad clock from a bad GPS.

    Reasons: ``bad_timestamp`` (naive ``ts``), ``out_of_range``, ``outside_service_area``,
    ``bad_heading``, ``bad_speed``, ``inaccurate``, ``from_future``, ``too_old``,
    ``out_of_order``, ``implausible_speed``.
    """

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(INVALID_FIX, message or reason, reason=reason)
        self.reason = reason


def check_timestamp(ts: datetime) -> None:
    """A fix's time must carry its UTC offset: a phone's local time read as UTC would put
    the fix hours away from when it was taken."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise FixRejected("bad_timestamp", "fix timestamp must carry a timezone")


def validate_fix(
    fix: LocationFix,
    previous: LocationFix | None,
    *,
    now: datetime,
    limits: FixLimits = DEFAULT_FIX_LIMITS,
) -> None:
    """Raise :class:`FixRejected` unless ``fix`` may follow ``previous`` (the last accepted fix).

    The implied-speed check forgives the two fixes' reported accuracy radii, so GPS jitter
    between fixes a fraction of a second apart is not mistaken for teleporting.
    """
    check_timestamp(fix.ts)
    _check_fields(fix, limits)
    if fix.ts - now > limits.max_future_skew:
        raise FixRejected("from_future", "fix timestamp is in the future")
    if now - fix.ts > limits.max_age:
        raise FixRejected("too_old", "fix is too old")
    if previous is not None:
        _check_against_previous(fix, previous, limits)


def _check_fields(fix: LocationFix, limits: FixLimits) -> None:
    if not is_valid_coordinate(fix.lat, fix.lng):
        raise FixRejected("out_of_range", "latitude or longitude out of range")
    if limits.area is not None and not limits.area.contains(fix.position):
        raise FixRejected("outside_service_area", "fix is outside the area we serve")
    if fix.heading is not None and not (math.isfinite(fix.heading) and 0.0 <= fix.heading <= 360.0):
        raise FixRejected("bad_heading", "heading must be between 0 and 360 degrees")
    if fix.speed is not None and not (
        math.isfinite(fix.speed) and 0.0 <= fix.speed <= limits.max_speed_mps
    ):
        raise FixRejected("bad_speed", f"speed must be between 0 and {limits.max_speed_mps} m/s")
    if fix.accuracy is not None and not (
        math.isfinite(fix.accuracy) and 0.0 <= fix.accuracy <= limits.max_accuracy_m
    ):
        raise FixRejected("inaccurate", f"accuracy worse than {limits.max_accuracy_m} m")


def _check_against_previous(fix: LocationFix, previous: LocationFix, limits: FixLimits) -> None:
    elapsed = fix.ts - previous.ts
    if elapsed <= timedelta(0):
        raise FixRejected("out_of_order", "fix is not newer than the previous one")
    if elapsed > limits.speed_check_window:
        return
    slack = (fix.accuracy or 0.0) + (previous.accuracy or 0.0)
    distance = max(0.0, haversine_m(previous.position, fix.position) - slack)
    if distance / elapsed.total_seconds() > limits.max_speed_mps:
        raise FixRejected("implausible_speed", "implied speed since the previous fix is too high")


def should_throttle(
    previous_accepted_at: datetime | None, now: datetime, *, max_hz: float = 5.0
) -> bool:
    """True when a fix arrives sooner than ``1 / max_hz`` after the last accepted one.

    The caller keeps the newest throttled fix and may publish it when the interval has passed.
    """
    if max_hz <= 0:
        raise ValueError("max_hz must be positive")
    if previous_accepted_at is None:
        return False
    return (now - previous_accepted_at).total_seconds() < 1.0 / max_hz
