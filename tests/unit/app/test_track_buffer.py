"""The track writer's buffer while the database is away: bounded, oldest points dropped
first, so a long outage costs a gap in recorded paths, never the process's memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker

from app.workers.location_adapters import BatchedTrackSink
from domain.location import LocationFix


def test_the_buffer_keeps_the_newest_points_up_to_its_limit() -> None:
    sink = BatchedTrackSink(async_sessionmaker(), max_buffer=3)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for second in range(5):
        fix = LocationFix(30.0, -97.0, start + timedelta(seconds=second), None, None, 5.0)
        sink.add(7, 1, fix)

    assert sink.buffered == 3
    assert sink.dropped == 2
    kept = [point["recorded_at"] for point in sink._buffer]
    assert kept == [start + timedelta(seconds=s) for s in (2, 3, 4)]
