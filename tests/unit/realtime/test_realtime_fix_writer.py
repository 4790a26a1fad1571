"""`SeparateFixWriter` (embedded mode): a fix moves the washer on the geo index and, when it
belongs to a tracked order, is published on that order's track; Redis being away costs the
map or the track this fix, never an exception to the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.events import ORDER_LOCATION
from domain.location import LocationFix
from realtime.broker import BrokerUnavailable
from realtime.envelope import Envelope
from realtime.fix_writer import SeparateFixWriter
from realtime.geo_index import MemoryGeoIndex
from realtime.hub import Hub

FIX = LocationFix(30.27, -97.74, datetime(2026, 6, 1, 12, tzinfo=UTC), speed=8.0, accuracy=5.0)
TRACK = "order:42:track"


class AwayGeoIndex(MemoryGeoIndex):
    """A geo index whose Redis is away."""

    async def update(self, washer_id: int, fix: LocationFix) -> None:
        raise BrokerUnavailable("geo index update failed: connection refused")


async def _heard(hub: Hub, channel: str) -> list[Envelope]:
    heard: list[Envelope] = []
    await hub.broker.listen(channel, heard.append)
    return heard


async def test_a_tracked_fix_moves_the_washer_and_is_published_on_the_track(hub: Hub) -> None:
    geo = MemoryGeoIndex()
    heard = await _heard(hub, TRACK)

    await SeparateFixWriter(geo, hub).write(7, FIX, TRACK, {"washer_id": 7, "eta_seconds": 60})

    assert await geo.last_fix(7) == FIX
    assert [(e.event, e.data) for e in heard] == [
        (ORDER_LOCATION, {"washer_id": 7, "eta_seconds": 60})
    ]


async def test_an_untracked_fix_only_moves_the_washer(hub: Hub) -> None:
    geo = MemoryGeoIndex()
    heard = await _heard(hub, TRACK)

    await SeparateFixWriter(geo, hub).write(7, FIX, None, None)

    assert await geo.last_fix(7) == FIX
    assert heard == []


async def test_the_track_is_published_even_when_the_geo_index_is_away(hub: Hub) -> None:
    heard = await _heard(hub, TRACK)

    await SeparateFixWriter(AwayGeoIndex(), hub).write(7, FIX, TRACK, {"washer_id": 7})

    assert [e.data for e in heard] == [{"washer_id": 7}]
