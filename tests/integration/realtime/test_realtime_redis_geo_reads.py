"""`RedisGeoIndex` reads. `last_fix`: reads asked for in the same moment share one HMGET,
each caller still gets its own washer's fix (or None), and a caller that gives up does not
cancel the others' answer. `nearby_each`: one pipeline of searches and one HMGET for many
centres, each answer what `nearby` gives for its centre."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from domain.geo import LatLng
from domain.location import LocationFix
from realtime.geo_index import RedisGeoIndex
from realtime.redis_broker import RedisBroker
from tests.support.redis_commands import commands_seen

pytestmark = pytest.mark.redis

TS = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _fix(n: int) -> LocationFix:
    return LocationFix(30.0 + n / 1000, -97.74, TS)


@pytest.fixture
async def broker(clean_redis_url: str, redis_prefix: str) -> AsyncIterator[RedisBroker]:
    broker = RedisBroker(clean_redis_url, prefix=redis_prefix)
    yield broker
    await broker.close()


async def test_reads_of_one_moment_are_one_round_trip_with_each_answer_its_own(
    broker: RedisBroker, redis_prefix: str, clean_redis_url: str
) -> None:
    geo = RedisGeoIndex(broker.client, prefix=redis_prefix)
    for n in range(0, 300, 2):  # even washers have a fix, odd ones never sent one
        await geo.update(n, _fix(n))
    async with commands_seen(clean_redis_url, redis_prefix) as seen:
        answers = await asyncio.gather(*(geo.last_fix(n) for n in range(300)))
        assert await seen.count(broker.client, "hmget") == 1
        assert answers == [_fix(n) if n % 2 == 0 else None for n in range(300)]
        # Past the batch size, the rest follows in further reads; nobody is left waiting.
        answers = await asyncio.gather(*(geo.last_fix(n) for n in range(1200)))
        assert await seen.count(broker.client, "hmget") == 1 + 3
    assert answers[298] == _fix(298) and answers[299] is None and answers[1100] is None


async def test_a_caller_giving_up_does_not_cancel_the_others(
    broker: RedisBroker, redis_prefix: str
) -> None:
    geo = RedisGeoIndex(broker.client, prefix=redis_prefix)
    await geo.update(7, _fix(7))
    impatient = asyncio.create_task(geo.last_fix(7))
    patient = asyncio.create_task(geo.last_fix(7))
    await asyncio.sleep(0)
    impatient.cancel()
    assert await patient == _fix(7)
    assert impatient.cancelled()


async def test_nearby_for_many_centers_searches_each_and_reads_every_washer_found_once(
    broker: RedisBroker, redis_prefix: str, clean_redis_url: str
) -> None:
    geo = RedisGeoIndex(broker.client, prefix=redis_prefix)
    for n in range(0, 40, 2):
        await geo.update(n, _fix(n))
    # Two centres share washers, one is far from everybody.
    centers = [LatLng(30.0051, -97.74), LatLng(30.0101, -97.74), LatLng(52.52, 13.405)]
    async with commands_seen(clean_redis_url, redis_prefix) as seen:
        each = await geo.nearby_each(centers, 2_000.0, limit=5)
        counts = [await seen.count(broker.client, c) for c in ("geosearch", "hmget")]
    assert counts == [3, 1]
    assert each == [await geo.nearby(center, 2_000.0, limit=5) for center in centers]
    assert [n.washer_id for n in each[0]] == [6, 4, 8, 2, 10]  # nearest first, five at most
    assert each[1][0].washer_id == 10 and each[1][0].fix == _fix(10)
    assert each[2] == []
    assert await geo.nearby_each([], 2_000.0) == []
