"""Presence on Redis: shared between processes, expires on Redis's clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from realtime.presence import WASHERS_ONLINE, PresenceTracker
from realtime.redis_presence import RedisPresence

pytestmark = pytest.mark.redis


@pytest.fixture
async def client(clean_redis_url: str) -> AsyncIterator[aioredis.Redis]:
    connection = aioredis.from_url(clean_redis_url)
    yield connection
    await connection.aclose()


async def test_two_processes_see_each_other(client: aioredis.Redis, redis_prefix: str) -> None:
    first = PresenceTracker(RedisPresence(client, prefix=redis_prefix), ttl=30)
    second = PresenceTracker(RedisPresence(client, prefix=redis_prefix), ttl=30)
    await first.join(WASHERS_ONLINE, "washer:1", {"lat": 52.5})
    await second.join(WASHERS_ONLINE, "washer:2")
    assert await first.members(WASHERS_ONLINE) == {"washer:1": {"lat": 52.5}, "washer:2": {}}
    await second.stop()
    assert list(await first.members(WASHERS_ONLINE)) == ["washer:1"]


async def test_entries_of_a_silent_process_expire(
    client: aioredis.Redis, redis_prefix: str
) -> None:
    store = RedisPresence(client, prefix=redis_prefix)
    await store.put("order:1", "washer:9", {}, ttl=0.05)
    await store.put("order:1", "customer:1", {}, ttl=60)
    await asyncio.sleep(0.2)  # lets the short entry lapse; nothing is timed
    assert list(await store.members("order:1")) == ["customer:1"]
