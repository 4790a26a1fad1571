"""The location pipeline's payloads are exactly the types `/asyncapi.json` documents for
them (`domain.event_data`): decoded strictly, so a field renamed, dropped or retyped on one
side fails here, not in a client."""

from __future__ import annotations

import asyncio

import msgspec

from domain.event_data import (
    DATA_BY_EVENT,
    OrderLocationData,
    WasherPosition,
    WasherPositionData,
)
from domain.events import ORDER_LOCATION, WASHER_POSITION
from domain.orders import OrderStatus
from realtime.envelope import Envelope
from realtime.geo_index import MemoryGeoIndex
from realtime.hub import Hub
from realtime.location_pipeline import ActiveJob, LocationPipeline
from realtime.subscriber import Subscriber
from tests.unit.realtime.test_realtime_location_pipeline import HOME, ListSink, ScriptedJobs, fix_at


async def no_arrival(washer_id: int, order_id: int) -> None:
    pass


def test_both_location_events_are_documented_as_types() -> None:
    assert DATA_BY_EVENT[ORDER_LOCATION] is OrderLocationData
    assert DATA_BY_EVENT[WASHER_POSITION] is WasherPositionData


async def test_the_track_and_the_ops_batch_decode_strictly_into_their_types(hub: Hub) -> None:
    jobs = ScriptedJobs()
    jobs.jobs[5] = ActiveJob(42, OrderStatus.EN_ROUTE, HOME)
    pipeline = LocationPipeline(
        hub, MemoryGeoIndex(), jobs, ListSink(), no_arrival, ops_interval=0.01
    )
    track, ops = Subscriber(), Subscriber()
    await hub.subscribe(track, "order:42:track")
    await hub.subscribe(ops, "ops")
    pipeline.start()
    try:
        fix, at = fix_at(0, HOME.lat + 0.01)
        await pipeline.ingest(5, fix, now=at)
        fix, at = fix_at(10, HOME.lat + 0.009)
        await pipeline.ingest(6, fix, now=at)  # a washer with no order
        by_washer: dict[int, WasherPosition] = {}
        while set(by_washer) != {5, 6}:  # the two fixes may land in one batch or two
            batch = await asyncio.wait_for(anext(aiter(ops)), 10)
            assert isinstance(batch, Envelope) and batch.event == WASHER_POSITION
            decoded = msgspec.json.decode(batch.raw_data, type=WasherPositionData, strict=True)
            by_washer.update({p.washer_id: p for p in decoded.positions})
    finally:
        await pipeline.stop()

    located = track.get_nowait()
    assert isinstance(located, Envelope) and located.event == ORDER_LOCATION
    data = msgspec.json.decode(located.raw_data, type=OrderLocationData, strict=True)
    assert (data.order_id, data.washer_id, data.status) == (42, 5, "en_route")
    assert data.eta_seconds > 0 and data.distance_m > 1000
    assert by_washer[5].order_id == 42 and by_washer[5].eta_seconds is not None
    assert by_washer[6].order_id is None and by_washer[6].eta_seconds is None
