"""The process's one pub/sub connection on a real Redis: subscribe returns once Redis
confirmed (a publish right after it arrives), one connection carries every channel, an outage
is reported at once and the reconnection only after every channel is subscribed again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis

from realtime.broker import BrokerUnavailable
from realtime.redis_pubsub import RedisPubSub
from tests.support.polling import poll_until
from tests.support.services import ThrowawayRedis, free_port

pytestmark = pytest.mark.redis


class Recorder:
    """What the pub/sub connection told its broker, in order."""

    def __init__(self) -> None:
        self.messages: list[tuple[bytes, bytes]] = []
        self.calls: list[str] = []

    def on_message(self, channel: bytes, data: bytes) -> None:
        self.messages.append((channel, data))

    def on_disconnect(self) -> None:
        self.calls.append("disconnect")

    def on_reconnect(self) -> None:
        self.calls.append("reconnect")

    def pubsub(self, url: str, **options: float) -> RedisPubSub:
        return RedisPubSub(
            url,
            on_message=self.on_message,
            on_disconnect=self.on_disconnect,
            on_reconnect=self.on_reconnect,
            client_name="washline-test-pubsub",
            backoff_base=0.01,
            backoff_cap=0.2,
            **options,
        )

    async def wait_for(self, ready: Callable[[], bool]) -> None:
        await poll_until(lambda: asyncio.sleep(0, ready()), bool, within=10, every=0.02)
        assert ready()


@pytest.fixture
async def publisher(redis_server_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(f"{redis_server_url}/0")
    yield client
    await client.aclose()


async def test_a_publish_right_after_subscribe_is_received(
    redis_server_url: str, publisher: aioredis.Redis, redis_prefix: str
) -> None:
    recorder = Recorder()
    pubsub = recorder.pubsub(f"{redis_server_url}/0")
    await pubsub.start()
    try:
        assert pubsub.connected
        assert recorder.calls == ["reconnect"]
        channel = f"{redis_prefix}a".encode()
        await pubsub.subscribe(channel)
        assert await publisher.publish(channel, b"one") == 1
        await recorder.wait_for(lambda: recorder.messages == [(channel, b"one")])
    finally:
        await pubsub.close()


async def test_one_connection_carries_every_channel_until_unsubscribed(
    redis_server_url: str, publisher: aioredis.Redis, redis_prefix: str
) -> None:
    recorder = Recorder()
    pubsub = recorder.pubsub(f"{redis_server_url}/0")
    await pubsub.start()
    channels = [f"{redis_prefix}{index}".encode() for index in range(20)]
    try:
        for channel in channels:
            await pubsub.subscribe(channel)
        assert (pubsub.connection_count, pubsub.channel_count) == (1, 20)
        clients = await publisher.client_list()
        ours = [c for c in clients if c.get("name") == "washline-test-pubsub"]
        assert len(ours) >= 1 and any(int(c["sub"]) == 20 for c in ours)

        await pubsub.unsubscribe(channels[0])
        assert pubsub.channel_count == 19
        await poll_until(
            lambda: publisher.pubsub_numsub(channels[0]), lambda n: n[0][1] == 0, every=0.02
        )
        assert await publisher.publish(channels[0], b"gone") == 0
        assert await publisher.publish(channels[1], b"here") == 1
        await recorder.wait_for(lambda: recorder.messages == [(channels[1], b"here")])
    finally:
        await pubsub.close()
    assert (pubsub.connected, pubsub.connection_count) == (False, 0)


async def test_starting_while_redis_is_away_does_not_fail(redis_prefix: str) -> None:
    recorder = Recorder()
    pubsub = recorder.pubsub(f"redis://127.0.0.1:{free_port()}/0", confirm_timeout=1.0)
    await pubsub.start()
    try:
        assert not pubsub.connected
        with pytest.raises(BrokerUnavailable):
            await pubsub.subscribe(f"{redis_prefix}x".encode())
        assert pubsub.channel_count == 1  # remembered: subscribed once Redis answers
        assert recorder.calls == []
    finally:
        await pubsub.close()


async def test_an_outage_is_reported_at_once_and_every_channel_comes_back(
    redis_prefix: str,
) -> None:
    recorder = Recorder()
    with ThrowawayRedis() as server:
        pubsub = recorder.pubsub(server.url)
        await pubsub.start()
        # More channels than one SUBSCRIBE batch carries.
        channels = [f"{redis_prefix}{index}".encode() for index in range(1200)]
        try:
            for channel in channels[:3]:
                await pubsub.subscribe(channel)
            server.stop()
            await recorder.wait_for(lambda: recorder.calls == ["reconnect", "disconnect"])
            assert not pubsub.connected
            for channel in channels[3:]:
                with pytest.raises(BrokerUnavailable):
                    await pubsub.subscribe(channel)

            server.start()
            async with asyncio.timeout(10):
                await pubsub.wait_connected()
            assert recorder.calls == ["reconnect", "disconnect", "reconnect"]
            assert pubsub.reconnects == 2

            client = aioredis.from_url(server.url)
            try:
                numsub = dict(await client.pubsub_numsub(*channels))
                assert set(numsub.values()) == {1}
                await client.publish(channels[0], b"first")
                await client.publish(channels[-1], b"last")
            finally:
                await client.aclose()
            await recorder.wait_for(
                lambda: recorder.messages == [(channels[0], b"first"), (channels[-1], b"last")]
            )
        finally:
            await pubsub.close()


async def test_a_channel_unsubscribed_during_an_outage_is_not_subscribed_again(
    redis_prefix: str,
) -> None:
    recorder = Recorder()
    with ThrowawayRedis() as server:
        pubsub = recorder.pubsub(server.url)
        await pubsub.start()
        kept, dropped = f"{redis_prefix}kept".encode(), f"{redis_prefix}dropped".encode()
        try:
            await pubsub.subscribe(kept)
            await pubsub.subscribe(dropped)
            server.stop()
            await recorder.wait_for(lambda: "disconnect" in recorder.calls)
            await pubsub.unsubscribe(dropped)
            server.start()
            async with asyncio.timeout(10):
                await pubsub.wait_connected()
            client = aioredis.from_url(server.url)
            try:
                assert dict(await client.pubsub_numsub(kept, dropped)) == {kept: 1, dropped: 0}
            finally:
                await client.aclose()
        finally:
            await pubsub.close()


async def test_start_and_close_are_idempotent(redis_server_url: str) -> None:
    pubsub = Recorder().pubsub(f"{redis_server_url}/0")
    await pubsub.start()
    await pubsub.start()
    await pubsub.close()
    await pubsub.close()
    assert not pubsub.connected
