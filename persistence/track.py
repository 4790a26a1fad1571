"""Writing recorded positions: a batch of track points and each washer's newest position.

Core, not the ORM: a batch is hundreds of plain rows, and the ORM's bulk path builds state
for each of them (a visible share of the server's CPU under a fleet of phones).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import TrackPoint, WasherProfile

_track_points = cast(Table, TrackPoint.__table__)
_washer_profiles = cast(Table, WasherProfile.__table__)
_INSERT_POINTS = insert(_track_points)

_UPDATE_LAST_POSITION = (
    update(_washer_profiles)
    .where(_washer_profiles.c.user_id == bindparam("b_washer"))
    .values(last_lat=bindparam("b_lat"), last_lng=bindparam("b_lng"), last_fix_at=bindparam("b_at"))
)
"""Every washer of a batch in one executemany, instead of one UPDATE statement each."""


async def write_track_batch(
    session: AsyncSession, points: Sequence[dict[str, Any]], newest: dict[int, dict[str, Any]]
) -> None:
    """Insert `points` (track point columns) in one statement and move each washer of
    `newest` (washer id -> its newest point) to that point; the caller commits."""
    await session.execute(_INSERT_POINTS, list(points))
    positions = [
        {
            "b_washer": washer_id,
            "b_lat": point["lat"],
            "b_lng": point["lng"],
            "b_at": point["recorded_at"],
        }
        for washer_id, point in newest.items()
    ]
    await session.execute(_UPDATE_LAST_POSITION, positions)
