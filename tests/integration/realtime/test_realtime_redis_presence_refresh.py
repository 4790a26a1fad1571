"""A heartbeat re-puts every entry of the process in batched round trips: each entry's expiry
moves on, on its own key with its own info, and script reloads after a Redis restart still
work (the pipeline loads the script first)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from realtime.presence import PresenceTracker
from realtime.redis_presence import RedisPresence
from tests.support.redis_commands import commands_seen

pytestmark = pytest.mark.redis


@pytest.fixture
async def client(clean_redis_url: str) -> AsyncIterator[aioredis.Redis]:
    connection = aioredis.from_url(clean_redis_url)
    yield connection
    await connection.aclose()


async def test_a_refresh_keeps_every_entry_alive_with_its_own_info(
    client: aioredis.Redis, redis_prefix: str
) -> None:
    tracker = PresenceTracker(RedisPresence(client, prefix=redis_prefix), ttl=30)
    for n in range(1200):  # past one pipeline's batch
        await tracker.join(f"user:{n % 3}", f"c{n}", {"n": n})
    zsets = [f"{redis_prefix}pz:{{user:{key}}}" for key in range(3)]
    before = {z: dict(await client.zrange(z, 0, -1, withscores=True)) for z in zsets}
    await client.script_flush()  # as after a Redis restart: the scripts are gone
    await asyncio.sleep(0.05)  # Redis's clock moves on: a refresh must push every expiry
    await tracker.refresh()
    for zset in zsets:
        after = dict(await client.zrange(zset, 0, -1, withscores=True))
        assert len(after) == 400
        assert all(after[member] > before[zset][member] for member in after)
    for key in range(3):
        members = await tracker.members(f"user:{key}")
        assert len(members) == 400
        assert all(info == {"n": int(c[1:])} for c, info in members.items())


async def test_a_refresh_puts_each_entry_once(
    client: aioredis.Redis, redis_prefix: str, clean_redis_url: str
) -> None:
    store = RedisPresence(client, prefix=redis_prefix)
    tracker = PresenceTracker(store, ttl=30)
    for n in range(50):
        await tracker.join("ops", f"c{n}", {})
    async with commands_seen(clean_redis_url, redis_prefix) as seen:
        await tracker.refresh()
        assert await seen.count(client, "evalsha") == 50
    assert len(await tracker.members("ops")) == 50
