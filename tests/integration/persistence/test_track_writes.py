"""`persistence.track.write_track_batch` stores the same rows on both back-ends: every point
(nulls included) and each washer's newest position on their profile, whether it binds one
row at a time (SQLite) or one array per column (PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import TrackPoint, WasherProfile
from persistence.track import write_track_batch
from tests.integration.persistence.conftest import NOW, Rows


def _point(washer_id: int, order_id: int | None, step: int, **extra: Any) -> dict[str, Any]:
    return {
        "washer_id": washer_id,
        "order_id": order_id,
        "lat": 30.0 + step / 1000,
        "lng": -97.0,
        "heading": extra.get("heading"),
        "speed": extra.get("speed"),
        "accuracy": 5.0,
        "recorded_at": NOW + timedelta(seconds=step),
    }


async def test_a_batch_stores_every_point_and_moves_each_washer(
    session: AsyncSession, rows: Rows
) -> None:
    first, second, idle = [(await rows.washer()).id for _ in range(3)]
    points = [
        _point(first, 11, 0, heading=90.0, speed=8.5),
        _point(second, None, 1),
        _point(first, 11, 2),
    ]
    newest = {first: points[2], second: points[1]}

    await write_track_batch(session, points, newest)
    await session.commit()

    stored = (await session.execute(select(TrackPoint).order_by(TrackPoint.recorded_at))).scalars()
    assert [
        (p.washer_id, p.order_id, p.lat, p.heading, p.speed, p.recorded_at) for p in stored
    ] == [
        (first, 11, 30.0, 90.0, 8.5, NOW),
        (second, None, 30.001, None, None, NOW + timedelta(seconds=1)),
        (first, 11, 30.002, None, None, NOW + timedelta(seconds=2)),
    ]
    session.expire_all()
    profiles = {
        p.user_id: (p.last_lat, p.last_lng, p.last_fix_at)
        for p in (await session.execute(select(WasherProfile))).scalars()
    }
    assert profiles == {
        first: (30.002, -97.0, NOW + timedelta(seconds=2)),
        second: (30.001, -97.0, NOW + timedelta(seconds=1)),
        idle: (None, None, None),
    }


async def test_the_last_position_marks_the_profile_updated(
    session: AsyncSession, rows: Rows
) -> None:
    washer = (await rows.washer()).id
    await session.commit()
    updated_at = select(WasherProfile.updated_at).filter_by(user_id=washer)
    before = (await session.execute(updated_at)).scalar_one()

    point = _point(washer, None, 0)
    await write_track_batch(session, [point], {washer: point})
    await session.commit()

    after = (await session.execute(updated_at)).scalar_one()
    assert after >= before
    assert after != before
