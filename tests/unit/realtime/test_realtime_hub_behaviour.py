"""Hub + broker behaviour: live delivery, gapless resume, resets, database fallback.

Written against the ``broker_factory`` fixture so the very same tests run on the
``MemoryBroker`` here and on ``RedisBroker`` in tests/integration/realtime.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

from realtime.broker import Broker, BrokerUnavailable, HistoryPage
from realtime.envelope import Envelope, parse_id
from realtime.hub import Hub
from realtime.memory_broker import MemoryBroker
from realtime.subscriber import Subscriber
from tests.unit.realtime.realtime_helpers import (
    BrokerFactory,
    RecordingFallback,
    controls,
    ids,
    offsets,
    publish_many,
    take,
    take_until,
)

USER = "user:7"
ORDER = "order:42"
TRACK = "order:42:track"


@pytest.fixture
async def broker_factory() -> AsyncIterator[BrokerFactory]:
    made: list[Broker] = []

    async def make(**options: Any) -> Broker:
        broker = MemoryBroker(**options)
        made.append(broker)
        return broker

    yield make
    for broker in made:
        await broker.close()


@pytest.fixture
def fallback() -> RecordingFallback:
    return RecordingFallback()


async def _hub(
    broker_factory: BrokerFactory, fallback: RecordingFallback | None = None, **options: Any
) -> Hub:
    hub = Hub(await broker_factory(**options), fallback=fallback, history_page=4)
    await hub.start()
    return hub


async def test_ids_are_monotonic_and_epoch_tagged(broker_factory: BrokerFactory) -> None:
    broker = await broker_factory()
    first, second = await publish_many(broker.publish, USER, 2)
    assert parse_id(first.id).offset == 1 and parse_id(second.id).offset == 2
    assert parse_id(first.id).epoch == parse_id(second.id).epoch != ""
    ordered = await broker.publish(ORDER, "order.status", {"s": "assigned"}, offset=17)
    assert ordered.id == "17"


async def test_offset_is_required_exactly_for_database_channels(
    broker_factory: BrokerFactory,
) -> None:
    broker = await broker_factory()
    with pytest.raises(ValueError):
        await broker.publish(ORDER, "e", {})
    with pytest.raises(ValueError):
        await broker.publish(USER, "e", {}, offset=3)


async def test_live_events_reach_every_subscriber_as_the_same_bytes(
    broker_factory: BrokerFactory,
) -> None:
    hub = await _hub(broker_factory)
    first, second = Subscriber(), Subscriber()
    await hub.subscribe(first, USER)
    await hub.subscribe(second, USER)
    await hub.publish(USER, "offer", {"order": 42})
    [a], [b] = await take(first, 1), await take(second, 1)
    assert isinstance(a, Envelope) and a is b
    frame = msgspec.json.decode(a.ws_frame)
    assert frame["type"] == "event" and frame["channel"] == USER and frame["id"] == a.id
    assert frame["event"] == "offer" and frame["data"] == {"order": 42}
    assert frame["ts"].endswith("Z")
    assert msgspec.json.decode(a.sse_data)["id"] == a.id
    await hub.close()


async def test_resume_has_no_holes_and_no_duplicates(broker_factory: BrokerFactory) -> None:
    hub = await _hub(broker_factory)
    published = await publish_many(hub.publish, USER, 10)
    subscriber = Subscriber()
    await hub.subscribe(subscriber, USER, since=published[2].id)
    await hub.publish(USER, "marker", {})
    items = await take_until(subscriber, "marker")
    assert offsets(items) == list(range(4, 12))
    assert controls(items) == []
    assert subscriber.positions[USER] == items[-1].id  # type: ignore[union-attr]
    await hub.close()


async def test_subscribe_without_since_starts_from_now(broker_factory: BrokerFactory) -> None:
    hub = await _hub(broker_factory)
    await publish_many(hub.publish, USER, 3)
    subscriber = Subscriber()
    await hub.subscribe(subscriber, USER)
    await hub.publish(USER, "marker", {})
    assert offsets(await take_until(subscriber, "marker")) == [4]
    await hub.close()


async def test_events_published_while_history_is_read_are_not_lost(
    broker_factory: BrokerFactory,
) -> None:
    """The race the algorithm exists for: live events arrive between listen and history."""
    hub = await _hub(broker_factory)
    await publish_many(hub.publish, USER, 3)
    broker = hub.broker
    real_history = broker.history

    async def racing_history(channel: str, since: str | None, limit: int) -> HistoryPage:
        await broker.publish(USER, "raced", {})
        page = await real_history(channel, since, limit)
        await broker.publish(USER, "raced", {})
        return page

    broker.history = racing_history  # type: ignore[method-assign]
    subscriber = Subscriber()
    await hub.subscribe(subscriber, USER, since=(await real_history(USER, None, 0)).top)
    broker.history = real_history  # type: ignore[method-assign]
    await hub.publish(USER, "marker", {})
    items = await take_until(subscriber, "marker")
    assert offsets(items) == sorted(set(offsets(items)))
    assert offsets(items)[0] == 4 and offsets(items) == list(range(4, 4 + len(items)))
    await hub.close()


async def test_too_old_since_gets_reset_then_live(broker_factory: BrokerFactory) -> None:
    hub = await _hub(broker_factory, history_size=3)
    published = await publish_many(hub.publish, USER, 8)
    subscriber = Subscriber()
    await hub.subscribe(subscriber, USER, since=published[1].id)
    await hub.publish(USER, "marker", {})
    items = await take_until(subscriber, "marker")
    assert controls(items) == [("reset", USER)]
    assert offsets(items) == [6, 7, 8, 9]  # the reset points before what is still held
    assert msgspec.json.decode(items[0].ws_frame) == {"type": "reset", "channel": USER}
    assert items[0].position == published[4].id
    await hub.close()


async def test_other_epoch_gets_reset(broker_factory: BrokerFactory) -> None:
    hub = await _hub(broker_factory)
    await publish_many(hub.publish, USER, 3)
    subscriber = Subscriber()
    await hub.subscribe(subscriber, USER, since="2-zzzzzz")
    await hub.publish(USER, "marker", {})
    items = await take_until(subscriber, "marker")
    assert controls(items) == [("reset", USER)] and offsets(items) == [1, 2, 3, 4]
    await hub.close()


async def test_up_to_date_since_needs_nothing(broker_factory: BrokerFactory) -> None:
    hub = await _hub(broker_factory)
    published = await publish_many(hub.publish, USER, 3)
    subscriber = Subscriber()
    await hub.subscribe(subscriber, USER, since=published[-1].id)
    await hub.publish(USER, "marker", {})
    assert offsets(await take_until(subscriber, "marker")) == [4]
    await hub.close()


async def test_database_channel_falls_back_instead_of_reset(
    broker_factory: BrokerFactory, fallback: RecordingFallback
) -> None:
    hub = await _hub(broker_factory, fallback, history_size=3)
    for envelope in await publish_many(hub.publish, ORDER, 12, start_offset=1):
        fallback.record(envelope)
    subscriber = Subscriber()
    await hub.subscribe(subscriber, ORDER, since="2")
    fallback.record(await hub.publish(ORDER, "marker", {}, offset=13))
    items = await take_until(subscriber, "marker")
    assert controls(items) == []
    assert ids(items) == [str(n) for n in range(3, 14)]
    assert fallback.calls and fallback.calls[0][:2] == (ORDER, 2)
    await hub.close()


async def test_database_channel_served_from_history_when_covered(
    broker_factory: BrokerFactory, fallback: RecordingFallback
) -> None:
    hub = await _hub(broker_factory, fallback)
    await publish_many(hub.publish, ORDER, 5, start_offset=10)
    subscriber = Subscriber()
    await hub.subscribe(subscriber, ORDER, since="11")
    await hub.publish(ORDER, "marker", {}, offset=15)
    assert ids(await take_until(subscriber, "marker")) == ["12", "13", "14", "15"]
    assert fallback.calls == []
    await hub.close()


async def test_republished_offset_neither_duplicates_history_nor_delivery(
    broker_factory: BrokerFactory,
) -> None:
    hub = await _hub(broker_factory)
    subscriber = Subscriber()
    await hub.subscribe(subscriber, ORDER)
    await publish_many(hub.publish, ORDER, 3, start_offset=1)
    await hub.publish(ORDER, "e", {"n": 1}, offset=2)  # at-least-once relay repeats itself
    await hub.publish(ORDER, "marker", {}, offset=4)
    assert ids(await take_until(subscriber, "marker")) == ["1", "2", "3", "4"]
    page = await hub.broker.history(ORDER, "0", 100)
    assert [env.id for env in page.events] == ["1", "2", "3", "4"] and page.covered
    await hub.close()


async def test_late_out_of_order_offset_never_leaves_a_silent_hole(
    broker_factory: BrokerFactory, fallback: RecordingFallback
) -> None:
    broker = await broker_factory()
    for offset in (1, 2, 4):
        await broker.publish(ORDER, "e", {}, offset=offset)
    await broker.publish(ORDER, "late", {}, offset=3)
    page = await broker.history(ORDER, "1", 100)
    assert not page.covered or [env.id for env in page.events] == ["2", "3", "4"]


async def test_lossy_channel_resumes_with_latest_instead_of_reset(
    broker_factory: BrokerFactory,
) -> None:
    hub = await _hub(broker_factory)
    published = await publish_many(hub.publish, TRACK, 5)
    subscriber = Subscriber()
    await hub.subscribe(subscriber, TRACK, since=published[0].id)
    assert offsets(await take(subscriber, 1)) == [5]
    await hub.publish(TRACK, "marker", {})
    items = await take_until(subscriber, "marker")
    assert controls(items) == [] and offsets(items) == [6]
    await hub.close()


async def test_unsubscribe_stops_delivery(broker_factory: BrokerFactory) -> None:
    hub = await _hub(broker_factory)
    leaving, staying = Subscriber(), Subscriber()
    await hub.subscribe(leaving, USER)
    await hub.subscribe(staying, USER)
    await hub.unsubscribe(leaving, USER)
    await hub.publish(USER, "marker", {})
    await take_until(staying, "marker")
    assert len(leaving) == 0 and USER not in leaving.positions
    await hub.disconnect(staying)
    assert hub.channel_count == 0
    await hub.close()


async def test_memory_broker_restart_resumes_every_subscriber(
    fallback: RecordingFallback,
) -> None:
    """History vanishes under live subscribers: reliable non-database channels get a reset,
    database channels are filled from the fallback, and live delivery carries on. (On Redis:
    tests/integration/realtime/test_realtime_redis_outage.py restarts a real server.)"""
    broker = MemoryBroker()
    hub = Hub(broker, fallback=fallback)
    await hub.start()
    user_sub, order_sub = Subscriber(), Subscriber()
    await hub.subscribe(user_sub, USER)
    await hub.subscribe(order_sub, ORDER)
    await hub.publish(USER, "before", {})
    fallback.record(await hub.publish(ORDER, "before", {}, offset=1))
    await take(user_sub, 1)
    await take(order_sub, 1)
    hub.on_broker_disconnected()
    fallback.record(Envelope.create(ORDER, "2", "missed", {}))  # committed while down
    broker.restart()
    await hub.wait_idle()
    await hub.publish(USER, "after", {})
    fallback.record(await hub.publish(ORDER, "after", {}, offset=3))
    user_items = await take_until(user_sub, "after")
    order_items = await take_until(order_sub, "after")
    assert controls(user_items) == [("reset", USER)] and len(ids(user_items)) == 1
    assert controls(order_items) == [] and ids(order_items) == ["2", "3"]
    await hub.close()


async def test_ephemeral_events_go_live_only_and_move_no_position(
    broker_factory: BrokerFactory,
) -> None:
    hub = await _hub(broker_factory)
    subscriber = Subscriber(max_queue=10)
    chat = "order:7:chat"
    await hub.publish(chat, "chat.message", {"body": "on my way"}, offset=1)
    await hub.subscribe(subscriber, chat, since="0")
    await hub.publish_ephemeral(chat, "chat.typing", {"user_id": 3})
    await hub.publish(chat, "chat.message", {"body": "here"}, offset=2)
    items = await take(subscriber, 3)
    assert [(i.event, i.id) for i in items if isinstance(i, Envelope)] == [
        ("chat.message", "1"),
        ("chat.typing", ""),
        ("chat.message", "2"),
    ]
    assert subscriber.positions[chat] == "2"
    history = await hub.broker.history(chat, "0", 10)
    assert [e.event for e in history.events] == ["chat.message", "chat.message"]
    await hub.close()


class HistoryFailsFirst(MemoryBroker):
    """History reads fail `failures` times while live delivery keeps working: a Redis
    command that times out on a link whose pub/sub connection stays up."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def history(self, channel: str, since: str | None, limit: int) -> HistoryPage:
        if self.failures > 0:
            self.failures -= 1
            raise BrokerUnavailable("history read timed out")
        return await super().history(channel, since, limit)


async def test_a_failed_history_read_is_retried_while_pub_sub_stays_up() -> None:
    broker = HistoryFailsFirst(failures=2)
    hub = Hub(broker, history_page=4)
    await hub.start()
    published = await publish_many(hub.publish, USER, 5)
    subscriber = Subscriber()
    await hub.subscribe(subscriber, USER, since=published[1].id)  # history read fails twice
    await hub.publish(USER, "marker", {})  # live, buffered until the catch-up succeeds
    items = await take_until(subscriber, "marker", within=10.0)
    assert offsets(items) == [3, 4, 5, 6]
    assert broker.failures == 0
    await hub.close()
