"""Fix validation: every rejection reason, its boundary, and the throttle."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from domain.location import FixLimits, FixRejected, LocationFix, should_throttle, validate_fix

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
METRES_PER_DEGREE_LAT = 111_195.0


def fix(
    *,
    lat: float = 48.8566,
    lng: float = 2.3522,
    ago: timedelta = timedelta(0),
    heading: float | None = None,
    speed: float | None = None,
    accuracy: float | None = None,
) -> LocationFix:
    return LocationFix(
        lat=lat, lng=lng, ts=NOW - ago, heading=heading, speed=speed, accuracy=accuracy
    )


def rejection(candidate: LocationFix, previous: LocationFix | None = None) -> str:
    with pytest.raises(FixRejected) as rejected:
        validate_fix(candidate, previous, now=NOW)
    return rejected.value.reason


def test_default_limits() -> None:
    assert FixLimits() == FixLimits(
        max_future_skew=timedelta(seconds=5),
        max_speed_mps=70.0,
        max_accuracy_m=200.0,
        max_age=timedelta(days=1),
    )


def test_a_good_fix_passes() -> None:
    validate_fix(fix(heading=90.0, speed=12.0, accuracy=8.0), None, now=NOW)


@pytest.mark.parametrize(
    ("lat", "lng"), [(91.0, 0.0), (-90.5, 0.0), (0.0, 180.5), (0.0, -181.0), (math.nan, 0.0)]
)
def test_out_of_range(lat: float, lng: float) -> None:
    assert rejection(fix(lat=lat, lng=lng)) == "out_of_range"


def test_from_future() -> None:
    assert rejection(fix(ago=-timedelta(seconds=6))) == "from_future"
    validate_fix(fix(ago=-timedelta(seconds=5)), None, now=NOW)


def test_too_old() -> None:
    assert rejection(fix(ago=timedelta(days=1, seconds=1))) == "too_old"
    validate_fix(fix(ago=timedelta(days=1)), None, now=NOW)


def test_out_of_order() -> None:
    previous = fix(ago=timedelta(seconds=10))
    assert rejection(fix(ago=timedelta(seconds=10)), previous) == "out_of_order"
    assert rejection(fix(ago=timedelta(seconds=11)), previous) == "out_of_order"


def test_implausible_speed() -> None:
    previous = fix(ago=timedelta(seconds=5))
    one_km_north = fix(lat=previous.lat + 1000 / METRES_PER_DEGREE_LAT)  # 200 m/s
    assert rejection(one_km_north, previous) == "implausible_speed"


def test_plausible_speed_passes() -> None:
    previous = fix(ago=timedelta(seconds=10))
    validate_fix(fix(lat=previous.lat + 300 / METRES_PER_DEGREE_LAT), previous, now=NOW)


def test_speed_check_is_skipped_when_the_previous_fix_is_old() -> None:
    hundred_km_north = fix(lat=48.8566 + 100_000 / METRES_PER_DEGREE_LAT)
    validate_fix(hundred_km_north, fix(ago=timedelta(minutes=11)), now=NOW)
    assert rejection(hundred_km_north, fix(ago=timedelta(minutes=9))) == "implausible_speed"


def test_speed_check_forgives_reported_accuracy() -> None:
    """A 30 m jitter 0.2 s apart is 150 m/s, unless the fixes say they are +/-20 m."""
    previous_ago = timedelta(milliseconds=200)
    jitter = 30 / METRES_PER_DEGREE_LAT
    assert rejection(fix(lat=48.8566 + jitter), fix(ago=previous_ago)) == "implausible_speed"
    validate_fix(
        fix(lat=48.8566 + jitter, accuracy=20.0),
        fix(ago=previous_ago, accuracy=20.0),
        now=NOW,
    )


@pytest.mark.parametrize("accuracy", [200.1, 5000.0, -1.0, math.nan])
def test_inaccurate(accuracy: float) -> None:
    assert rejection(fix(accuracy=accuracy)) == "inaccurate"


@pytest.mark.parametrize("heading", [-0.1, 360.1, math.nan])
def test_bad_heading(heading: float) -> None:
    assert rejection(fix(heading=heading)) == "bad_heading"


@pytest.mark.parametrize("heading", [0.0, 360.0])
def test_heading_bounds_are_inclusive(heading: float) -> None:
    validate_fix(fix(heading=heading), None, now=NOW)


@pytest.mark.parametrize("speed", [-0.1, 70.1, math.inf])
def test_bad_speed(speed: float) -> None:
    assert rejection(fix(speed=speed)) == "bad_speed"


def test_naive_timestamp_is_refused() -> None:
    naive = LocationFix(lat=0.0, lng=0.0, ts=NOW.replace(tzinfo=None))
    assert rejection(naive) == "bad_timestamp"


def test_custom_limits() -> None:
    strict = FixLimits(max_accuracy_m=10.0)
    with pytest.raises(FixRejected) as rejected:
        validate_fix(fix(accuracy=20.0), None, now=NOW, limits=strict)
    assert rejected.value.reason == "inaccurate"


def test_throttle_first_fix_passes() -> None:
    assert should_throttle(None, NOW) is False


@pytest.mark.parametrize(
    ("since_last", "max_hz", "throttled"),
    [
        (timedelta(milliseconds=100), 5.0, True),
        (timedelta(milliseconds=199), 5.0, True),
        (timedelta(milliseconds=200), 5.0, False),
        (timedelta(seconds=1), 5.0, False),
        (timedelta(milliseconds=500), 1.0, True),
    ],
)
def test_throttle(since_last: timedelta, max_hz: float, throttled: bool) -> None:
    assert should_throttle(NOW - since_last, NOW, max_hz=max_hz) is throttled


def test_throttle_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError):
        should_throttle(NOW, NOW, max_hz=0)
