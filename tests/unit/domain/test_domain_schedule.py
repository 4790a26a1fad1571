"""The booking window: a timezone-aware time from (nearly) now to MAX_SCHEDULE_AHEAD on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.schedule import (
    IN_THE_PAST,
    MAX_SCHEDULE_AHEAD,
    NEEDS_TIMEZONE,
    SCHEDULE_GRACE,
    TOO_FAR_AHEAD,
    ScheduleRefused,
    check_schedule,
)

NOW = datetime(2030, 5, 4, 9, 30, tzinfo=UTC)
EAST = timezone(timedelta(hours=14))
WEST = timezone(timedelta(hours=-12))


def refusal(scheduled_for: datetime) -> str:
    with pytest.raises(ScheduleRefused) as refused:
        check_schedule(scheduled_for, now=NOW)
    assert refused.value.message
    return refused.value.code


def test_the_window_is_thirty_days() -> None:
    assert timedelta(days=30) == MAX_SCHEDULE_AHEAD
    assert timedelta(0) < SCHEDULE_GRACE <= timedelta(minutes=15)


@pytest.mark.parametrize(
    "scheduled_for",
    [
        NOW,
        NOW - SCHEDULE_GRACE,
        NOW + timedelta(hours=2),
        NOW + MAX_SCHEDULE_AHEAD,
        (NOW + timedelta(days=3)).astimezone(EAST),
        (NOW + timedelta(days=3)).astimezone(WEST),
    ],
    ids=["now", "grace", "later today", "last day", "east offset", "west offset"],
)
def test_a_time_in_the_window_is_accepted(scheduled_for: datetime) -> None:
    check_schedule(scheduled_for, now=NOW)


@pytest.mark.parametrize(
    "scheduled_for",
    [datetime(2030, 5, 5, 9, 30), datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)],
    ids=["tomorrow", "year 1", "year 9999"],
)
def test_a_naive_time_is_refused(scheduled_for: datetime) -> None:
    assert refusal(scheduled_for) == NEEDS_TIMEZONE


@pytest.mark.parametrize(
    "scheduled_for",
    [
        NOW - SCHEDULE_GRACE - timedelta(seconds=1),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=EAST),
    ],
    ids=["just before the grace", "year 1", "year 1 east"],
)
def test_a_past_time_is_refused(scheduled_for: datetime) -> None:
    assert refusal(scheduled_for) == IN_THE_PAST


@pytest.mark.parametrize(
    "scheduled_for",
    [
        NOW + MAX_SCHEDULE_AHEAD + timedelta(seconds=1),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=WEST),
    ],
    ids=["a second too far", "year 9999", "year 9999 west"],
)
def test_a_time_too_far_ahead_is_refused(scheduled_for: datetime) -> None:
    assert refusal(scheduled_for) == TOO_FAR_AHEAD
