"""Bounded queues: lossy coalescing, reliable overflow closes, a stalled client stalls no one."""

from __future__ import annotations

import asyncio

from realtime.close_codes import SLOW_CONSUMER
from realtime.envelope import Envelope, reset
from realtime.hub import Hub
from realtime.memory_broker import MemoryBroker
from realtime.subscriber import Subscriber
from tests.unit.realtime.realtime_helpers import offsets, take, take_until


def _event(channel: str, offset: int) -> Envelope:
    return Envelope.create(channel, f"{offset}-ep", "e", {"n": offset})


def test_lossy_channel_keeps_only_the_latest_per_channel() -> None:
    subscriber = Subscriber(max_queue=10)
    for offset in range(1, 6):
        assert subscriber.offer(_event("order:1:track", offset), lossy=True)
        assert subscriber.offer(_event("order:2:track", offset), lossy=True)
    assert len(subscriber) == 2 and subscriber.coalesced == 8
    first, second = subscriber.get_nowait(), subscriber.get_nowait()
    assert isinstance(first, Envelope) and isinstance(second, Envelope)
    assert (first.channel, first.id) == ("order:1:track", "5-ep")
    assert (second.channel, second.id) == ("order:2:track", "5-ep")
    assert not subscriber.closed


def test_lossy_event_is_dropped_not_fatal_when_the_queue_is_full() -> None:
    subscriber = Subscriber(max_queue=1)
    assert subscriber.offer(_event("user:1", 1))
    assert not subscriber.offer(_event("order:1:track", 1), lossy=True)
    assert subscriber.dropped == 1 and not subscriber.closed


def test_reliable_overflow_closes_with_slow_consumer() -> None:
    subscriber = Subscriber(max_queue=3)
    for offset in range(1, 4):
        assert subscriber.offer(_event("user:1", offset))
    assert not subscriber.offer(_event("user:1", 4))
    assert subscriber.closed and subscriber.close_code == SLOW_CONSUMER == 4008
    assert "queue full" in subscriber.close_reason
    assert len(subscriber) == 0 and not subscriber.offer(reset("user:1"))


async def test_writer_loop_ends_when_closed_for_slowness() -> None:
    subscriber = Subscriber(max_queue=1)
    received: list[object] = []

    async def writer() -> None:
        async for item in subscriber:
            received.append(item)
            await asyncio.Event().wait()  # a socket that never finishes sending

    task = asyncio.create_task(writer())
    subscriber.offer(_event("user:1", 1))
    await asyncio.sleep(0)
    subscriber.offer(_event("user:1", 2))
    subscriber.offer(_event("user:1", 3))
    assert subscriber.close_code == SLOW_CONSUMER
    task.cancel()
    assert [item.id for item in received] == ["1-ep"]  # type: ignore[attr-defined]
    assert [item async for item in subscriber] == []


async def test_stalled_subscriber_does_not_hold_up_a_fast_one() -> None:
    hub = Hub(MemoryBroker())
    await hub.start()
    stalled, fast = Subscriber(max_queue=5), Subscriber(max_queue=1000)
    await hub.subscribe(stalled, "user:1")
    await hub.subscribe(fast, "user:1")
    delivered: list[int] = []

    async def fast_writer() -> None:
        async for item in fast:
            delivered.extend(offsets([item]))
            if isinstance(item, Envelope) and item.event == "marker":
                return

    writer = asyncio.create_task(fast_writer())
    for n in range(50):
        await hub.publish("user:1", "e", {"n": n})
    await hub.publish("user:1", "marker", {})
    await asyncio.wait_for(writer, 5)
    assert delivered == list(range(1, 52))
    assert stalled.close_code == SLOW_CONSUMER
    await hub.disconnect(stalled)
    await hub.close()


async def test_catch_up_waits_for_the_writer_instead_of_overflowing() -> None:
    """A resume larger than the queue is paced by the writer, not treated as slowness."""
    hub = Hub(MemoryBroker(history_size=100), history_page=7)
    await hub.start()
    published = [await hub.publish("user:1", "e", {"n": n}) for n in range(40)]
    subscriber = Subscriber(max_queue=5)
    subscribing = asyncio.create_task(hub.subscribe(subscriber, "user:1", since=published[0].id))
    items = await take(subscriber, 39)
    await subscribing
    assert offsets(items) == list(range(2, 41)) and not subscriber.closed
    await hub.publish("user:1", "marker", {})
    assert offsets(await take_until(subscriber, "marker")) == [41]
    await hub.close()


async def test_positions_follow_what_the_writer_took() -> None:
    subscriber = Subscriber()
    subscriber.offer(_event("user:1", 1))
    subscriber.offer(_event("user:1", 2))
    assert subscriber.positions == {}
    await anext(subscriber)
    assert subscriber.positions == {"user:1": "1-ep"}
    subscriber.offer(reset("user:1", "9-ep"))
    await take(subscriber, 2)
    assert subscriber.positions == {"user:1": "9-ep"}
