"""Which washers get offered a pending order: nearest idle ones first, widening the search."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import msgspec

from domain.geo import LatLng, haversine_m

STALE_AFTER = timedelta(seconds=60)
"""A washer whose last fix is older than this may be anywhere: never offer them work."""

DISPATCH_RADII_M: tuple[float, ...] = (3000.0, 8000.0, 20000.0)
OFFER_FANOUT = 3
"""How many washers are offered an order at once; the first to accept wins."""

OFFER_TTL = timedelta(seconds=45)


class WasherCandidate(msgspec.Struct, frozen=True):
    washer_id: int
    position: LatLng
    fix_at: datetime
    online: bool
    busy: bool


def is_stale(fix_at: datetime, now: datetime) -> bool:
    """True when the fix is more than ``STALE_AFTER`` old (a fix from the future is fresh)."""
    return now - fix_at > STALE_AFTER


def rank_candidates(
    order_position: LatLng,
    candidates: Iterable[WasherCandidate],
    *,
    now: datetime,
    radius_m: float,
) -> list[tuple[WasherCandidate, float]]:
    """Online, idle, fresh washers within ``radius_m`` (inclusive), with their distance in
    metres, nearest first; equal distances are ordered by washer id so results are stable."""
    ranked: list[tuple[WasherCandidate, float]] = []
    for candidate in candidates:
        if not candidate.online or candidate.busy or is_stale(candidate.fix_at, now):
            continue
        distance = haversine_m(order_position, candidate.position)
        if distance <= radius_m:
            ranked.append((candidate, distance))
    ranked.sort(key=lambda pair: (pair[1], pair[0].washer_id))
    return ranked


def choose_offer_targets(
    order_position: LatLng,
    candidates: Iterable[WasherCandidate],
    *,
    now: datetime,
    radii: Iterable[float] = DISPATCH_RADII_M,
    fanout: int = OFFER_FANOUT,
) -> list[int]:
    """Up to ``fanout`` washer ids from the smallest radius that has anyone, nearest first.

    Radii are tried smallest first whatever their given order. A washer listed twice counts
    once (at their nearest position). An empty list means nobody is available: retry later.
    """
    if fanout < 1:
        raise ValueError("fanout must be at least 1")
    pool = list(candidates)
    for radius in sorted(radii):
        chosen: list[int] = []
        for candidate, _distance in rank_candidates(order_position, pool, now=now, radius_m=radius):
            if candidate.washer_id not in chosen:
                chosen.append(candidate.washer_id)
            if len(chosen) == fanout:
                break
        if chosen:
            return chosen
    return []
