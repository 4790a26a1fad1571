"""Writing recorded positions: a batch of track points and each washer's newest position.

Core, not the ORM: a batch is hundreds of plain rows, and the ORM's bulk path builds state
for each of them (a visible share of the server's CPU under a fleet of phones). On
PostgreSQL each statement goes further and takes its rows as one array per column
(`unnest`): SQLAlchemy then binds 8 parameters per batch instead of 8 per row, whose
per-row bookkeeping (`SQLCompiler.construct_params`) was still ~8 % of the server's samples
at 1,000 fixes/s (docs/benchmarks.md, "Location ingest, second round").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, text, update
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

_POINT_COLUMNS = ("washer_id", "order_id", "lat", "lng", "heading", "speed", "accuracy")
_INSERT_POINTS_UNNEST = text(
    "INSERT INTO track_point (washer_id, order_id, lat, lng, heading, speed, accuracy,"
    " recorded_at) SELECT * FROM unnest(CAST(:washer_id AS bigint[]),"
    " CAST(:order_id AS bigint[]), CAST(:lat AS double precision[]),"
    " CAST(:lng AS double precision[]), CAST(:heading AS double precision[]),"
    " CAST(:speed AS double precision[]), CAST(:accuracy AS double precision[]),"
    " CAST(:recorded_at AS timestamptz[]))"
)
_UPDATE_LAST_POSITION_UNNEST = text(
    "UPDATE washer_profile SET last_lat = v.lat, last_lng = v.lng, last_fix_at = v.at,"
    " updated_at = CAST(:now AS timestamptz)"
    " FROM unnest(CAST(:washer_id AS bigint[]), CAST(:lat AS double precision[]),"
    " CAST(:lng AS double precision[]), CAST(:at AS timestamptz[])) AS v(washer_id, lat, lng, at)"
    " WHERE washer_profile.user_id = v.washer_id"
)
"""The same two writes on PostgreSQL, with the rows as arrays: `updated_at` is set as the
model's own `onupdate` would set it through the Core statement above."""


async def write_track_batch(
    session: AsyncSession, points: Sequence[dict[str, Any]], newest: dict[int, dict[str, Any]]
) -> None:
    """Insert `points` (track point columns) in one statement and move each washer of
    `newest` (washer id -> its newest point) to that point; the caller commits."""
    if not points:
        return
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await _write_as_arrays(session, points, newest)
        return
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


async def _write_as_arrays(
    session: AsyncSession, points: Sequence[dict[str, Any]], newest: dict[int, dict[str, Any]]
) -> None:
    columns: dict[str, list[Any]] = {name: [] for name in (*_POINT_COLUMNS, "recorded_at")}
    for point in points:
        for name, values in columns.items():
            values.append(point[name])
    await session.execute(_INSERT_POINTS_UNNEST, columns)
    await session.execute(
        _UPDATE_LAST_POSITION_UNNEST,
        {
            "washer_id": list(newest),
            "lat": [point["lat"] for point in newest.values()],
            "lng": [point["lng"] for point in newest.values()],
            "at": [point["recorded_at"] for point in newest.values()],
            "now": datetime.now(UTC),
        },
    )
