"""`RedisFixWriter`: the geo index's writes and the track event in one script. The event is
the one `RedisBroker.publish` would have made (history, id, live delivery to every
process), the geo index reads the fix back, a latitude Redis GEO cannot hold still reaches
the track, and a Redis outage costs the fix's live effects, never an exception."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from domain.events import ORDER_LOCATION
from domain.geo import LatLng
from domain.location import LocationFix
from realtime.envelope import Envelope, parse_id
from realtime.fix_writer import RedisFixWriter
from realtime.geo_index import RedisGeoIndex
from realtime.redis_broker import RedisBroker
from tests.support.polling import poll_until
from tests.support.services import ThrowawayRedis

pytestmark = pytest.mark.redis

TS = datetime(2026, 6, 1, 12, tzinfo=UTC)
FIX = LocationFix(30.27, -97.74, TS, speed=8.0, accuracy=5.0)
TRACK = "order:42:track"


@pytest.fixture
async def broker(clean_redis_url: str, redis_prefix: str) -> AsyncIterator[RedisBroker]:
    broker = RedisBroker(clean_redis_url, prefix=redis_prefix)
    await broker.start()
    async with asyncio.timeout(15):
        await broker.pubsub.wait_connected()
    yield broker
    await broker.close()


async def _listening(broker: RedisBroker, channel: str) -> list[Envelope]:
    heard: list[Envelope] = []
    await broker.listen(channel, heard.append)
    return heard


async def _until_heard(heard: list[Envelope], count: int) -> None:
    async def now() -> int:
        return len(heard)

    await poll_until(now, lambda n: n >= count)


async def _stored(broker: RedisBroker, prefix: str, channel: str) -> int:
    """How many events the channel's history stream holds."""
    return int(await broker.client.xlen(f"{prefix}h:{{{channel}}}"))


async def test_one_write_indexes_the_fix_and_publishes_the_track_event(
    broker: RedisBroker, redis_prefix: str
) -> None:
    geo = RedisGeoIndex(broker.client, prefix=redis_prefix)
    writer = RedisFixWriter(broker, geo)
    heard = await _listening(broker, TRACK)

    await writer.write(7, FIX, TRACK, {"washer_id": 7, "eta_seconds": 60})
    await writer.write(7, LocationFix(30.28, -97.74, TS.replace(second=1)), TRACK, {"n": 2})

    await _until_heard(heard, 2)
    assert [(e.event, e.data) for e in heard] == [
        (ORDER_LOCATION, {"washer_id": 7, "eta_seconds": 60}),
        (ORDER_LOCATION, {"n": 2}),
    ]
    first, second = (parse_id(e.id) for e in heard)
    assert second.offset == first.offset + 1 and second.epoch == first.epoch
    history = await broker.history(TRACK, heard[0].id, 10)
    assert [e.id for e in history.events] == [heard[1].id]  # lossy: history of one
    assert (await geo.last_fix(7)) == LocationFix(30.28, -97.74, TS.replace(second=1))
    nearby = await geo.nearby(LatLng(30.28, -97.74), 100.0)
    assert [n.washer_id for n in nearby] == [7]


async def test_an_untracked_fix_only_moves_the_washer(
    broker: RedisBroker, redis_prefix: str
) -> None:
    geo = RedisGeoIndex(broker.client, prefix=redis_prefix)

    await RedisFixWriter(broker, geo).write(7, FIX, None, None)

    assert await geo.last_fix(7) == FIX
    assert await _stored(broker, redis_prefix, TRACK) == 0


async def test_a_latitude_redis_geo_cannot_hold_still_reaches_the_track(
    broker: RedisBroker, redis_prefix: str
) -> None:
    polar = LocationFix(87.0, 10.0, TS)
    geo = RedisGeoIndex(broker.client, prefix=redis_prefix)
    heard = await _listening(broker, TRACK)

    await RedisFixWriter(broker, geo).write(7, polar, TRACK, {"washer_id": 7})

    await _until_heard(heard, 1)
    assert await geo.last_fix(7) == polar


async def test_a_redis_outage_costs_the_live_effects_not_an_exception(redis_prefix: str) -> None:
    with ThrowawayRedis() as server:
        broker = RedisBroker(server.url, prefix=redis_prefix)
        try:
            writer = RedisFixWriter(broker, RedisGeoIndex(broker.client, prefix=redis_prefix))
            server.stop()
            await writer.write(7, FIX, TRACK, {"washer_id": 7})
            await writer.write(7, FIX, None, None)
            server.start()
            await writer.write(7, FIX, TRACK, {"washer_id": 7})
            stored = await _stored(broker, redis_prefix, TRACK)
        finally:
            await broker.close()
    assert stored == 1  # the first write after the restart went through, on a fresh connection


async def test_fixes_that_arrive_together_share_one_pipeline(
    broker: RedisBroker, redis_prefix: str
) -> None:
    geo = RedisGeoIndex(broker.client, prefix=redis_prefix)
    writer = RedisFixWriter(broker, geo)
    channels = [f"order:{n}:track" for n in range(1, 21)]
    heard = [await _listening(broker, channel) for channel in channels]

    await asyncio.gather(
        *(
            writer.write(n, LocationFix(30.0 + n / 1000, -97.74, TS), channel, {"washer_id": n})
            for n, channel in enumerate(channels, start=1)
        ),
        writer.write(99, FIX, None, None),
    )

    assert (writer.batches, writer.failed) == (1, 0)
    for n, channel in enumerate(channels, start=1):
        assert await _stored(broker, redis_prefix, channel) == 1
        assert (await geo.last_fix(n)) == LocationFix(30.0 + n / 1000, -97.74, TS)
    assert await geo.last_fix(99) == FIX
    for events in heard:
        await _until_heard(events, 1)
    assert sorted(e.data["washer_id"] for events in heard for e in events) == list(range(1, 21))


async def test_fixes_that_arrive_within_the_linger_share_the_next_pipeline(
    broker: RedisBroker, redis_prefix: str
) -> None:
    geo = RedisGeoIndex(broker.client, prefix=redis_prefix)
    writer = RedisFixWriter(broker, geo, linger=0.5)
    heard = await _listening(broker, TRACK)
    first = asyncio.create_task(writer.write(1, FIX, TRACK, {"n": 0}))
    await asyncio.sleep(0)  # the first fix after a quiet moment: its batch starts at once

    async def one_turn_later(n: int) -> None:
        for _ in range(n):
            await asyncio.sleep(0)
        await writer.write(n + 1, FIX, TRACK, {"n": n})

    await asyncio.gather(first, *(one_turn_later(n) for n in range(1, 11)))

    assert (writer.batches, writer.failed) == (2, 0)  # not one per loop turn
    await _until_heard(heard, 11)
    assert [e.data["n"] for e in heard] == list(range(11))
    assert await _stored(broker, redis_prefix, TRACK) == 1  # lossy: history of one
