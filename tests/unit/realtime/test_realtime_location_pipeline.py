"""The location pipeline on an in-process hub: a fix reaches the order's track with an ETA,
the geofence marks an arrival once, and what it remembers stays bounded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from domain.geo import LatLng
from domain.location import LocationFix
from domain.orders import OrderStatus
from realtime.envelope import Envelope
from realtime.geo_index import MemoryGeoIndex
from realtime.hub import Hub
from realtime.location_pipeline import ActiveJob, ArrivalDeferred, LocationPipeline
from realtime.subscriber import Subscriber

HOME = LatLng(30.2672, -97.7431)
START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class ScriptedJobs:
    """The washers' current orders, as the database would answer."""

    def __init__(self) -> None:
        self.jobs: dict[int, ActiveJob] = {}

    async def current(self, washer_id: int) -> ActiveJob | None:
        return self.jobs.get(washer_id)

    def forget(self, washer_id: int) -> None:
        pass


class ListSink:
    def __init__(self) -> None:
        self.points: list[tuple[int, int | None, LocationFix]] = []

    def add(self, washer_id: int, order_id: int | None, fix: LocationFix) -> None:
        self.points.append((washer_id, order_id, fix))


def fix_at(seconds: int, lat: float) -> tuple[LocationFix, datetime]:
    ts = START + timedelta(seconds=seconds)
    return LocationFix(lat, HOME.lng, ts, speed=10.0, accuracy=5.0), ts


async def test_a_fix_en_route_reaches_the_track_and_arrival_fires_once(hub: Hub) -> None:
    jobs, sink, arrivals = ScriptedJobs(), ListSink(), []

    async def arrived(washer_id: int, order_id: int) -> None:
        arrivals.append((washer_id, order_id))

    pipeline = LocationPipeline(hub, MemoryGeoIndex(), jobs, sink, arrived)
    jobs.jobs[5] = ActiveJob(42, OrderStatus.EN_ROUTE, HOME)
    watcher = Subscriber()
    await hub.subscribe(watcher, "order:42:track")

    far, at = fix_at(0, HOME.lat + 0.01)
    outcome = await pipeline.ingest(5, far, now=at)
    for second in (60, 61, 62):  # inside the geofence three times; the job still says en route
        near, at = fix_at(second, HOME.lat + 0.0001)
        await pipeline.ingest(5, near, now=at)

    track = watcher.get_nowait()
    assert isinstance(track, Envelope) and track.event == "order.location"
    assert track.data["order_id"] == 42 and track.data["eta_seconds"] > 0
    assert outcome.status == "accepted" and outcome.order_id == 42
    assert arrivals == [(5, 42)]
    assert [order for _, order, _ in sink.points] == [42, 42, 42, 42]


async def test_arrivals_remembered_stay_one_per_washer(hub: Hub) -> None:
    jobs = ScriptedJobs()

    async def arrived(washer_id: int, order_id: int) -> None:
        pass

    pipeline = LocationPipeline(hub, MemoryGeoIndex(), jobs, ListSink(), arrived)
    for order_id in range(1, 51):  # one washer, fifty orders in a row
        jobs.jobs[5] = ActiveJob(order_id, OrderStatus.EN_ROUTE, HOME)
        near, at = fix_at(order_id * 60, HOME.lat)
        await pipeline.ingest(5, near, now=at)

    assert pipeline.remembered_arrivals == 1


async def test_positions_go_out_with_six_decimals(hub: Hub) -> None:
    jobs = ScriptedJobs()
    jobs.jobs[5] = ActiveJob(42, OrderStatus.EN_ROUTE, HOME)

    async def arrived(washer_id: int, order_id: int) -> None:
        pass

    pipeline = LocationPipeline(hub, MemoryGeoIndex(), jobs, ListSink(), arrived)
    watcher = Subscriber()
    await hub.subscribe(watcher, "order:42:track")
    noisy = LocationFix(30.275199999999998, -97.74310000000001, START, speed=10.0)
    await pipeline.ingest(5, noisy, now=START)

    track = watcher.get_nowait()
    assert isinstance(track, Envelope)
    assert (track.data["lat"], track.data["lng"]) == (30.2752, -97.7431)


async def test_a_deferred_arrival_is_tried_again_by_the_next_fix_and_the_track_goes_on(
    hub: Hub,
) -> None:
    jobs, sink, arrivals = ScriptedJobs(), ListSink(), []
    database_up = False

    async def arrived(washer_id: int, order_id: int) -> None:
        if not database_up:
            raise ArrivalDeferred(order_id)
        arrivals.append((washer_id, order_id))

    pipeline = LocationPipeline(hub, MemoryGeoIndex(), jobs, sink, arrived)
    jobs.jobs[5] = ActiveJob(42, OrderStatus.EN_ROUTE, HOME)
    watcher = Subscriber()
    await hub.subscribe(watcher, "order:42:track")

    for second in (60, 61):  # inside the geofence while the database is away
        near, at = fix_at(second, HOME.lat + 0.0001)
        assert (await pipeline.ingest(5, near, now=at)).order_id == 42
    database_up = True
    near, at = fix_at(62, HOME.lat + 0.0001)
    await pipeline.ingest(5, near, now=at)

    assert arrivals == [(5, 42)]
    assert [order for _, order, _ in sink.points] == [42, 42, 42]  # the job stayed known
    track = await asyncio.wait_for(anext(watcher), 5)  # the track keeps only the newest
    assert isinstance(track, Envelope) and track.event == "order.location"
    assert track.data["ts"] == at.isoformat()
