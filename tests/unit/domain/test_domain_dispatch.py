"""Dispatch: who is offered a pending order, and in which order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.dispatch import (
    DISPATCH_RADII_M,
    OFFER_FANOUT,
    OFFER_TTL,
    STALE_AFTER,
    WasherCandidate,
    choose_offer_targets,
    is_stale,
    rank_candidates,
)
from domain.geo import LatLng

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ORDER_AT = LatLng(lat=48.8566, lng=2.3522)
METRES_PER_DEGREE_LAT = 111_195.0


def washer(
    washer_id: int,
    metres_north: float,
    *,
    online: bool = True,
    busy: bool = False,
    fix_age: timedelta = timedelta(seconds=5),
) -> WasherCandidate:
    position = LatLng(lat=ORDER_AT.lat + metres_north / METRES_PER_DEGREE_LAT, lng=ORDER_AT.lng)
    return WasherCandidate(
        washer_id=washer_id, position=position, fix_at=NOW - fix_age, online=online, busy=busy
    )


def test_constants() -> None:
    assert timedelta(seconds=60) == STALE_AFTER
    assert DISPATCH_RADII_M == (3000.0, 8000.0, 20000.0)
    assert OFFER_FANOUT == 3
    assert timedelta(seconds=45) == OFFER_TTL


def test_is_stale_boundary() -> None:
    assert not is_stale(NOW - timedelta(seconds=60), NOW)
    assert is_stale(NOW - timedelta(seconds=61), NOW)
    assert not is_stale(NOW + timedelta(seconds=2), NOW)


def test_rank_excludes_offline_busy_stale_and_far() -> None:
    candidates = [
        washer(1, 500, online=False),
        washer(2, 500, busy=True),
        washer(3, 500, fix_age=timedelta(seconds=61)),
        washer(4, 3500),
        washer(5, 900),
    ]
    ranked = rank_candidates(ORDER_AT, candidates, now=NOW, radius_m=3000.0)
    assert [c.washer_id for c, _ in ranked] == [5]
    assert ranked[0][1] == pytest.approx(900, rel=0.001)


def test_rank_nearest_first_ties_by_id() -> None:
    candidates = [washer(9, 1000), washer(3, 1000), washer(7, 200), washer(1, 2500)]
    ranked = rank_candidates(ORDER_AT, candidates, now=NOW, radius_m=3000.0)
    assert [c.washer_id for c, _ in ranked] == [7, 3, 9, 1]


def test_offers_go_to_the_nearest_within_the_first_radius() -> None:
    candidates = [washer(i, 100.0 * i) for i in range(1, 6)]
    assert choose_offer_targets(ORDER_AT, candidates, now=NOW) == [1, 2, 3]


def test_offers_widen_when_nobody_is_close() -> None:
    candidates = [washer(1, 15_000), washer(2, 6_000), washer(3, 4_000), washer(4, 500, busy=True)]
    assert choose_offer_targets(ORDER_AT, candidates, now=NOW) == [3, 2]


def test_offers_widen_to_the_last_radius() -> None:
    candidates = [washer(1, 15_000), washer(2, 25_000)]
    assert choose_offer_targets(ORDER_AT, candidates, now=NOW) == [1]


def test_no_offer_when_nobody_is_available() -> None:
    candidates = [washer(1, 25_000), washer(2, 100, online=False)]
    assert choose_offer_targets(ORDER_AT, candidates, now=NOW) == []


def test_radii_are_tried_smallest_first() -> None:
    candidates = [washer(1, 6_000), washer(2, 1_000)]
    assert choose_offer_targets(ORDER_AT, candidates, now=NOW, radii=(8000.0, 3000.0)) == [2]


def test_candidates_may_be_a_one_shot_iterator() -> None:
    candidates = iter([washer(1, 6_000), washer(2, 7_000)])
    assert choose_offer_targets(ORDER_AT, candidates, now=NOW, fanout=1) == [1]


def test_a_washer_listed_twice_is_offered_once() -> None:
    candidates = [washer(1, 100), washer(1, 200), washer(2, 300)]
    assert choose_offer_targets(ORDER_AT, candidates, now=NOW) == [1, 2]


def test_fanout_must_be_positive() -> None:
    with pytest.raises(ValueError):
        choose_offer_targets(ORDER_AT, [], now=NOW, fanout=0)
