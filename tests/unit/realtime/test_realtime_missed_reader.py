"""Reading what a subscription missed: where a fresh one starts, and the history after
``last`` queued page by page, in order, none twice."""

from __future__ import annotations

from realtime.envelope import Envelope, parse_id
from realtime.memory_broker import MemoryBroker
from realtime.missed_reader import MissedReader
from realtime.subscriber import Item, Subscriber
from realtime.subscription import Subscription

CHANNEL = "user:7"


def _subscription(last: str | None) -> Subscription:
    return Subscription(
        subscriber=Subscriber(max_queue=100),
        channel=CHANNEL,
        lossy=False,
        database_backed=False,
        last=parse_id(last) if last is not None else None,
        recovering=True,
    )


def _queued(subscriber: Subscriber) -> list[Item]:
    items: list[Item] = []
    while (item := subscriber.get_nowait()) is not None:
        items.append(item)
    return items


async def test_a_fresh_subscription_starts_at_the_current_top() -> None:
    broker = MemoryBroker()
    published = [await broker.publish(CHANNEL, "e", {"n": n}) for n in range(3)]
    subscription = _subscription(None)
    await MissedReader(broker, None, 2).read(subscription)
    assert subscription.last == parse_id(published[-1].id)
    assert not [item for item in _queued(subscription.subscriber) if isinstance(item, Envelope)]


async def test_the_history_after_last_is_queued_across_pages() -> None:
    broker = MemoryBroker()
    published = [await broker.publish(CHANNEL, "e", {"n": n}) for n in range(5)]
    subscription = _subscription(published[0].id)
    await MissedReader(broker, None, 2).read(subscription)
    queued = [item.id for item in _queued(subscription.subscriber) if isinstance(item, Envelope)]
    assert queued == [envelope.id for envelope in published[1:]]
    assert subscription.last == parse_id(published[-1].id)
