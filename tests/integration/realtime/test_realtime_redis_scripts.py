"""The Lua scripts run on a real Redis, called as `RedisBroker` calls them: history and live
delivery come from one atomic step, epochs are minted only when the meta is gone, and a
database-backed channel's cache never holds a hole that resume could not see."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from realtime.redis_scripts import GEO_UPDATE, GEO_UPDATE_THEN_PUBLISH, HISTORY, PUBLISH

pytestmark = pytest.mark.redis

STREAM_TTL_MS = 60_000
META_TTL_MS = 120_000


class Channel:
    """One channel's keys and the scripts' ARGV, as `realtime.redis_broker` builds them."""

    def __init__(self, client: aioredis.Redis, prefix: str, maxlen: int = 100) -> None:
        self.client = client
        self.stream = f"{prefix}h:{{c}}"
        self.meta = f"{prefix}m:{{c}}"
        self.pubsub = f"{prefix}c".encode()
        self.maxlen = maxlen

    def publish_args(self, body: bytes, epoch: str, offset: int | None) -> list[Any]:
        return [
            self.pubsub,
            body,
            self.maxlen,
            STREAM_TTL_MS,
            META_TTL_MS,
            epoch,
            "" if offset is None else str(offset),
        ]

    async def publish(self, body: bytes, epoch: str = "E1", offset: int | None = None) -> str:
        raw = await self.client.eval(
            PUBLISH, 2, self.stream, self.meta, *self.publish_args(body, epoch, offset)
        )
        return raw.decode()

    async def history(
        self, since: int | None, limit: int, epoch: str = "E9"
    ) -> tuple[str, str, str, list[tuple[str, bytes]]]:
        raw = await self.client.eval(
            HISTORY,
            2,
            self.stream,
            self.meta,
            "" if since is None else str(since),
            limit,
            epoch,
            META_TTL_MS,
        )
        epoch_b, top, first, entries = raw
        return (
            epoch_b.decode(),
            top.decode(),
            first.decode(),
            [
                (entry_id.decode(), dict(zip(*[iter(fields)] * 2, strict=True))[b"b"])
                for entry_id, fields in entries
            ],
        )

    async def held(self) -> list[str]:
        return [entry_id.decode() for entry_id, _ in await self.client.xrange(self.stream)]


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    connection = aioredis.from_url(redis_url)
    yield connection
    await connection.aclose()


@pytest.fixture
def channel(client: aioredis.Redis, redis_prefix: str) -> Channel:
    return Channel(client, redis_prefix)


# -- PUBLISH on channels with an epoch ---------------------------------------------------------


async def test_the_first_publish_mints_the_epoch_and_later_ones_keep_it(channel: Channel) -> None:
    assert await channel.publish(b"a", epoch="E1") == "1-E1"
    assert await channel.publish(b"b", epoch="E2") == "2-E1"
    assert await channel.client.hget(channel.meta, "e") == b"E1"
    assert await channel.held() == ["1-0", "2-0"]


async def test_a_lost_meta_mints_a_new_epoch_and_drops_the_old_history(channel: Channel) -> None:
    await channel.publish(b"a", epoch="E1")
    await channel.publish(b"b", epoch="E1")
    await channel.client.delete(channel.meta)
    assert await channel.publish(b"c", epoch="E2") == "1-E2"
    assert await channel.held() == ["1-0"]


async def test_the_stream_is_capped_at_maxlen(client: aioredis.Redis, redis_prefix: str) -> None:
    capped = Channel(client, redis_prefix, maxlen=3)
    for index in range(6):
        await capped.publish(str(index).encode())
    assert await capped.held() == ["4-0", "5-0", "6-0"]
    assert await client.hget(capped.meta, "s") == b"6"


async def test_publish_refreshes_both_expiries_the_meta_outliving_the_stream(
    channel: Channel,
) -> None:
    await channel.publish(b"a")
    stream_ttl = await channel.client.pttl(channel.stream)
    meta_ttl = await channel.client.pttl(channel.meta)
    assert 0 < stream_ttl <= STREAM_TTL_MS
    assert STREAM_TTL_MS < meta_ttl <= META_TTL_MS


async def test_live_subscribers_get_the_id_and_body_the_history_holds(
    channel: Channel, redis_url: str
) -> None:
    listener = aioredis.from_url(redis_url)
    pubsub = listener.pubsub()
    try:
        await pubsub.subscribe(channel.pubsub)
        await pubsub.get_message(timeout=1)  # the subscribe confirmation
        published = await channel.publish(b'{"event":"x"}')
        message = None
        async with asyncio.timeout(5):
            while message is None:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        assert message["data"] == published.encode() + b"\n" + b'{"event":"x"}'
        _, _, _, entries = await channel.history(0, 10)
        assert entries == [("1-0", b'{"event":"x"}')]
    finally:
        await pubsub.aclose()
        await listener.aclose()


# -- PUBLISH on database-backed channels (the caller's offset) --------------------------------


async def test_a_new_offset_is_appended_and_becomes_the_top(channel: Channel) -> None:
    assert await channel.publish(b"a", offset=5) == "5"
    assert await channel.publish(b"b", offset=9) == "9"
    assert await channel.held() == ["5-0", "9-0"]
    assert await channel.client.hget(channel.meta, "s") == b"9"
    assert await channel.client.hget(channel.meta, "e") is None


async def test_a_repeated_offset_changes_nothing(channel: Channel) -> None:
    await channel.publish(b"a", offset=5)
    await channel.publish(b"b", offset=6)
    assert await channel.publish(b"a-again", offset=5) == "5"
    assert await channel.publish(b"b-again", offset=6) == "6"
    _, top, _, entries = await channel.history(4, 10, epoch="")
    assert top == "6"
    assert entries == [("5-0", b"a"), ("6-0", b"b")]


async def test_a_late_event_inside_the_held_range_drops_the_cache(channel: Channel) -> None:
    await channel.publish(b"a", offset=5)
    await channel.publish(b"c", offset=7)
    await channel.publish(b"b", offset=6)  # committed before 7, relayed after it
    assert await channel.held() == []
    assert await channel.client.hget(channel.meta, "s") == b"7"


async def test_a_late_event_older_than_the_held_range_keeps_the_cache(channel: Channel) -> None:
    await channel.publish(b"e", offset=5)
    await channel.publish(b"f", offset=6)
    await channel.publish(b"d", offset=4)  # resume from before 5 asks the database anyway
    await channel.publish(b"e", offset=5)  # and so does the first one held
    assert await channel.held() == ["5-0", "6-0"]


# -- HISTORY ----------------------------------------------------------------------------------


async def test_history_of_a_quiet_channel_creates_the_epoch_it_answers_with(
    channel: Channel,
) -> None:
    assert await channel.history(None, 10, epoch="E7") == ("E7", "0", "", [])
    assert await channel.client.hgetall(channel.meta) == {b"e": b"E7", b"s": b"0"}
    assert 0 < await channel.client.pttl(channel.meta) <= META_TTL_MS
    await channel.publish(b"a", epoch="E8")
    assert (await channel.history(0, 10))[:3] == ("E7", "1", "1-0")


async def test_history_of_a_database_backed_channel_creates_nothing(channel: Channel) -> None:
    assert await channel.history(None, 10, epoch="") == ("", "", "", [])
    assert not await channel.client.exists(channel.meta)


async def test_history_returns_what_follows_since_up_to_the_limit(channel: Channel) -> None:
    for index in range(1, 8):
        await channel.publish(f"b{index}".encode())
    epoch, top, first, entries = await channel.history(3, 2)
    assert (epoch, top, first) == ("E1", "7", "1-0")
    assert entries == [("4-0", b"b4"), ("5-0", b"b5")]
    assert (await channel.history(7, 10))[3] == []
    assert (await channel.history(3, 0))[3] == []
    assert (await channel.history(None, 10))[3] == []


# -- the geo index ----------------------------------------------------------------------------


def _geo_args(lat: float) -> list[Any]:
    return [18.06, lat, "7", b'{"fix":1}', 1_700_000_000]


async def test_geo_update_writes_position_fix_and_last_seen(
    client: aioredis.Redis, redis_prefix: str
) -> None:
    keys = [f"{redis_prefix}geo", f"{redis_prefix}fixes", f"{redis_prefix}seen"]
    assert await client.eval(GEO_UPDATE, 3, *keys, *_geo_args(59.33)) == 1
    assert len(await client.geopos(keys[0], "7")) == 1
    assert await client.hget(keys[1], "7") == b'{"fix":1}'
    assert await client.zscore(keys[2], "7") == 1_700_000_000


async def test_a_latitude_the_geo_set_refuses_still_records_the_fix(
    client: aioredis.Redis, redis_prefix: str
) -> None:
    keys = [f"{redis_prefix}geo", f"{redis_prefix}fixes", f"{redis_prefix}seen"]
    assert await client.eval(GEO_UPDATE, 3, *keys, *_geo_args(89.0)) == 1
    assert await client.geopos(keys[0], "7") == [None]
    assert await client.hget(keys[1], "7") == b'{"fix":1}'
    assert await client.zscore(keys[2], "7") == 1_700_000_000


async def test_geo_update_then_publish_does_both_in_one_step(
    channel: Channel, redis_prefix: str
) -> None:
    geo_keys = [f"{redis_prefix}geo", f"{redis_prefix}fixes", f"{redis_prefix}seen"]
    raw = await channel.client.eval(
        GEO_UPDATE_THEN_PUBLISH,
        5,
        channel.stream,
        channel.meta,
        *geo_keys,
        *channel.publish_args(b"track", "E1", None),
        *_geo_args(59.33),
    )
    assert raw == b"1-E1"
    assert await channel.held() == ["1-0"]
    assert await channel.client.hget(geo_keys[1], "7") == b'{"fix":1}'
