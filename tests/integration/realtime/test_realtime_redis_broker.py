"""RedisBroker across processes: shared fan-out, one pub/sub connection, outage handling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from realtime.broker import BrokerUnavailable
from realtime.envelope import Control, Envelope, is_after, parse_id
from realtime.hub import Hub
from realtime.redis_broker import RedisBroker
from realtime.subscriber import Subscriber
from tests.support.polling import poll_until
from tests.support.services import ThrowawayRedis
from tests.unit.realtime.realtime_helpers import (
    RecordingFallback,
    controls,
    ids,
    offsets,
    take,
    take_until,
)

pytestmark = pytest.mark.redis


@pytest.fixture
async def hubs(clean_redis_url: str, redis_prefix: str) -> AsyncIterator[tuple[Hub, Hub]]:
    """Two hubs on two brokers: two "processes" sharing one Redis."""
    first = Hub(RedisBroker(clean_redis_url, prefix=redis_prefix))
    second = Hub(RedisBroker(clean_redis_url, prefix=redis_prefix))
    await first.start()
    await second.start()
    yield first, second
    await first.close()
    await second.close()


async def _wait_connected(broker: RedisBroker) -> None:
    async with asyncio.timeout(15):
        await broker.pubsub.wait_connected()


async def test_publish_in_one_process_reaches_listeners_of_another(
    hubs: tuple[Hub, Hub],
) -> None:
    publisher, listener = hubs
    subscriber = Subscriber()
    await listener.subscribe(subscriber, "user:5")
    published = [await publisher.publish("user:5", "e", {"n": n}) for n in range(5)]
    items = await take(subscriber, 5)
    assert ids(items) == [envelope.id for envelope in published]
    resumed = Subscriber()
    await listener.subscribe(resumed, "user:5", since=published[1].id)
    assert ids(await take(resumed, 3)) == [envelope.id for envelope in published[2:]]


async def test_one_pubsub_connection_whatever_the_channel_count(
    hubs: tuple[Hub, Hub], clean_redis_url: str
) -> None:
    hub, _ = hubs
    broker = hub.broker
    assert isinstance(broker, RedisBroker)
    subscribers = [Subscriber() for _ in range(3)]
    for order_id in range(1, 201):
        for subscriber in subscribers:
            await hub.subscribe(subscriber, f"order:{order_id}:track")
    client = aioredis.from_url(clean_redis_url)
    try:
        named = [c for c in await client.client_list() if c.get("name") == broker.client_name]
    finally:
        await client.aclose()
    assert len(named) == 1 and int(named[0]["sub"]) == 200
    assert broker.pubsub.connection_count == 1 and broker.pubsub.channel_count == 200
    await hub.publish("order:200:track", "e", {})
    for subscriber in subscribers:
        assert offsets(await take(subscriber, 1)) == [1]
        await hub.disconnect(subscriber)
    assert broker.pubsub.channel_count == 0 and hub.channel_count == 0


async def test_redis_restart_under_subscribers_loses_nothing_reliable(redis_prefix: str) -> None:
    fallback = RecordingFallback()
    with ThrowawayRedis() as server:
        broker = RedisBroker(server.url, prefix=redis_prefix, backoff_base=0.02, backoff_cap=0.2)
        hub = Hub(broker, fallback=fallback)
        await hub.start()
        user_sub, order_sub, track_sub = Subscriber(), Subscriber(), Subscriber()
        await hub.subscribe(user_sub, "user:1")
        await hub.subscribe(order_sub, "order:9")
        await hub.subscribe(track_sub, "order:9:track")
        await hub.publish("user:1", "before", {})
        fallback.record(await hub.publish("order:9", "before", {}, offset=1))
        await hub.publish("order:9:track", "before", {})
        for subscriber in (user_sub, order_sub, track_sub):
            await take(subscriber, 1)

        server.stop()
        with pytest.raises(BrokerUnavailable):
            await hub.publish("user:1", "lost", {})
        assert not await broker.ping()
        late = Subscriber()
        await hub.subscribe(late, "order:9", since="1")  # accepted while Redis is down
        fallback.record(Envelope.create("order:9", "2", "missed", {}))  # committed meanwhile
        server.start()
        await _wait_connected(broker)
        await hub.wait_idle()
        assert await broker.ping()

        await hub.publish("user:1", "after", {})
        fallback.record(await hub.publish("order:9", "after", {}, offset=3))
        await hub.publish("order:9:track", "after", {})
        user_items = await take_until(user_sub, "after")
        order_items = await take_until(order_sub, "after")
        late_items = await take_until(late, "after")
        track_items = await take_until(track_sub, "after")
        assert controls(user_items) == [("reset", "user:1")] and len(ids(user_items)) == 1
        assert controls(order_items) == [] and ids(order_items) == ["2", "3"]
        assert controls(late_items) == [] and ids(late_items) == ["2", "3"]
        assert controls(track_items) == []
        assert not any(s.closed for s in (user_sub, order_sub, late, track_sub))
        await hub.close()


async def test_a_reset_after_a_restart_never_skips_what_the_new_epoch_holds(
    redis_prefix: str,
) -> None:
    """An order moves the moment Redis is back, before this process has re-subscribed: its
    live copy is never heard here, so the reset must point before it and catch-up send it."""
    with ThrowawayRedis() as server:
        # A slow reconnect makes the publish below land before the re-subscribe.
        broker = RedisBroker(server.url, prefix=redis_prefix, backoff_base=1.0, backoff_cap=2.0)
        hub = Hub(broker)
        await hub.start()
        admin = Subscriber()
        await hub.subscribe(admin, "ops")
        await hub.publish("ops", "before", {})
        assert [item.event for item in await take(admin, 1)] == ["before"]

        server.stop()

        async def linked() -> bool:
            return broker.pubsub.connected

        assert not await poll_until(linked, lambda up: not up, every=0.01)
        server.start()
        moved = await hub.publish("ops", "moved", {})  # the command pool reconnects at once
        await _wait_connected(broker)
        await hub.wait_idle()
        after = await hub.publish("ops", "after", {})

        items = await take_until(admin, "after", within=15)
        assert controls(items) == [("reset", "ops")]
        assert ids(items) == [moved.id, after.id]
        reset = items[0]
        assert isinstance(reset, Control) and reset.position is not None
        assert is_after(moved.position, parse_id(reset.position))
        await hub.close()


async def test_databases_of_one_redis_server_do_not_hear_each_other(
    redis_server_url: str, redis_prefix: str
) -> None:
    """Pub/sub is server-wide; deployments told apart only by the database number in
    REDIS_URL must still not receive each other's live events."""
    brokers = [
        RedisBroker(f"{redis_server_url}/{database}", prefix=redis_prefix) for database in (3, 4, 3)
    ]
    first, other_database, same_database = (Hub(broker) for broker in brokers)
    for hub in (first, other_database, same_database):
        await hub.start()
    try:
        stranger, neighbour = Subscriber(), Subscriber()
        await other_database.subscribe(stranger, "user:8")
        await same_database.subscribe(neighbour, "user:8")
        published = await first.publish("user:8", "e", {"n": 1})
        assert ids(await take(neighbour, 1)) == [published.id]
        marker = await other_database.publish("user:8", "e", {"n": 2})
        assert ids(await take(stranger, 1)) == [marker.id]  # only its own database's event
    finally:
        for hub in (first, other_database, same_database):
            await hub.close()
