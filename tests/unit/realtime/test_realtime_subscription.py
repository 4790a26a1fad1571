"""One subscriber on one channel: nothing at or below the last queued id is queued again,
live events wait while history is caught up, and a change of history epoch is never crossed
silently (a reliable channel is told `reset`, a lossy one simply moves on)."""

from __future__ import annotations

import pytest

from realtime.close_codes import SLOW_CONSUMER
from realtime.envelope import EPHEMERAL_ID, Control, Envelope, StreamPosition
from realtime.subscriber import Item, Subscriber
from realtime.subscription import Subscription

CHANNEL = "user:7"


def _event(offset: int, epoch: str = "e1", channel: str = CHANNEL) -> Envelope:
    return Envelope.create(channel, f"{offset}-{epoch}" if epoch else str(offset), "e", {})


def _typing(channel: str = CHANNEL) -> Envelope:
    return Envelope.create(channel, EPHEMERAL_ID, "chat.typing", {})


def _queued(subscriber: Subscriber) -> list[Item]:
    items: list[Item] = []
    while (item := subscriber.get_nowait()) is not None:
        items.append(item)
    return items


def _ids(items: list[Item]) -> list[str]:
    return [item.id if isinstance(item, Envelope) else f"<{item.type}>" for item in items]


def _subscription(
    *,
    lossy: bool = False,
    last: StreamPosition | None = None,
    recovering: bool = False,
    max_queue: int = 100,
) -> Subscription:
    return Subscription(
        subscriber=Subscriber(max_queue=max_queue),
        channel=CHANNEL,
        lossy=lossy,
        database_backed=False,
        last=last,
        recovering=recovering,
    )


# -- accepts --------------------------------------------------------------------------------


def test_with_no_position_yet_anything_is_accepted() -> None:
    sub = _subscription()
    assert sub.accepts(StreamPosition(1, "e1"))
    assert sub.accepts(StreamPosition(0, ""))


def test_only_newer_offsets_of_the_same_epoch_are_accepted() -> None:
    sub = _subscription(last=StreamPosition(5, "e1"))
    assert sub.accepts(StreamPosition(6, "e1"))
    assert not sub.accepts(StreamPosition(5, "e1"))
    assert not sub.accepts(StreamPosition(4, "e1"))


@pytest.mark.parametrize(("lossy", "accepted"), [(True, True), (False, False)])
def test_another_epoch_is_accepted_only_on_lossy_channels(lossy: bool, accepted: bool) -> None:
    sub = _subscription(lossy=lossy, last=StreamPosition(5, "e1"))
    assert sub.accepts(StreamPosition(1, "e2")) is accepted
    assert sub.accepts(StreamPosition(99, "e2")) is accepted


# -- live delivery --------------------------------------------------------------------------


def test_live_events_are_queued_once_and_in_order() -> None:
    sub = _subscription()
    for offset in (1, 2, 2, 1, 3):
        sub.on_live(_event(offset))
    assert _ids(_queued(sub.subscriber)) == ["1-e1", "2-e1", "3-e1"]
    assert sub.last == StreamPosition(3, "e1")


def test_a_new_epoch_on_a_reliable_channel_is_announced_with_reset_first() -> None:
    sub = _subscription(last=StreamPosition(9, "e1"))
    sub.on_live(_event(1, "e2"))
    items = _queued(sub.subscriber)
    assert _ids(items) == ["<reset>", "1-e2"]
    assert isinstance(items[0], Control) and items[0].channel == CHANNEL
    assert sub.last == StreamPosition(1, "e2")


def test_a_new_epoch_on_a_lossy_channel_moves_on_without_reset() -> None:
    sub = _subscription(lossy=True, last=StreamPosition(9, "e1"))
    sub.on_live(_event(1, "e2"))
    assert _ids(_queued(sub.subscriber)) == ["1-e2"]


def test_nothing_is_queued_after_unsubscribe_or_close() -> None:
    sub = _subscription()
    sub.active = False
    sub.on_live(_event(1))
    assert _queued(sub.subscriber) == []
    other = _subscription()
    other.subscriber.close(1000)
    other.on_live(_event(1))
    assert other.last is None


def test_a_typing_signal_passes_live_but_moves_no_position() -> None:
    sub = _subscription(last=StreamPosition(3, "e1"))
    sub.on_live(_typing())
    assert [item.event for item in _queued(sub.subscriber) if isinstance(item, Envelope)] == [
        "chat.typing"
    ]
    assert sub.last == StreamPosition(3, "e1")


# -- recovery -------------------------------------------------------------------------------


def test_while_recovering_live_events_wait_and_typing_is_dropped() -> None:
    sub = _subscription(recovering=True)
    sub.on_live(_event(1))
    sub.on_live(_typing())
    assert _queued(sub.subscriber) == []
    assert _ids(list(sub.buffer)) == ["1-e1"]


def test_a_buffer_overflow_while_recovering_closes_the_subscriber_as_slow() -> None:
    sub = _subscription(recovering=True, max_queue=3)
    for offset in range(1, 5):
        sub.on_live(_event(offset))
    assert sub.subscriber.closed
    assert sub.subscriber.close_code == SLOW_CONSUMER
    assert not sub.buffer
    assert not sub.wants_more


async def test_draining_skips_what_catch_up_already_queued_then_goes_live() -> None:
    sub = _subscription(recovering=True, last=StreamPosition(1, "e1"))
    for offset in (2, 3, 4):
        sub.on_live(_event(offset))
    for offset in (2, 3):  # history read after subscribing holds them too
        await sub.emit_caught_up(_event(offset))
    await sub.drain_buffer()
    assert not sub.recovering
    sub.on_live(_event(4))
    sub.on_live(_event(5))
    assert _ids(_queued(sub.subscriber)) == ["2-e1", "3-e1", "4-e1", "5-e1"]


async def test_a_buffered_event_of_a_new_epoch_is_announced_with_reset() -> None:
    sub = _subscription(recovering=True, last=StreamPosition(7, "e1"))
    sub.on_live(_event(1, "e2"))
    await sub.drain_buffer()
    assert _ids(_queued(sub.subscriber)) == ["<reset>", "1-e2"]


async def test_catch_up_stops_queueing_once_unsubscribed() -> None:
    sub = _subscription(recovering=True)
    await sub.emit_caught_up(_event(1))
    sub.active = False
    await sub.emit_caught_up(_event(2))
    await sub.emit_reset(StreamPosition(2, "e1"))
    sub.on_live(_event(3))
    await sub.drain_buffer()
    assert _ids(_queued(sub.subscriber)) == ["1-e1"]
    assert sub.last == StreamPosition(1, "e1")


async def test_catch_up_ignores_events_at_or_below_the_clients_since() -> None:
    sub = _subscription(recovering=True, last=StreamPosition(5, "e1"))
    for offset in (4, 5, 6):
        await sub.emit_caught_up(_event(offset))
    assert _ids(_queued(sub.subscriber)) == ["6-e1"]


async def test_a_reset_points_just_before_what_catch_up_sends_next() -> None:
    sub = _subscription(recovering=True, last=StreamPosition(2, "old"))
    await sub.emit_reset(StreamPosition(10, "e1"))
    await sub.emit_caught_up(_event(10, "e1"))  # the top itself: already covered
    await sub.emit_caught_up(_event(11, "e1"))
    items = _queued(sub.subscriber)
    assert _ids(items) == ["<reset>", "11-e1"]
    reset = items[0]
    assert isinstance(reset, Control) and reset.position == "10-e1"


async def test_a_reset_with_no_history_carries_no_position() -> None:
    sub = _subscription(recovering=True, last=StreamPosition(2, "old"))
    await sub.emit_reset(None)
    items = _queued(sub.subscriber)
    assert isinstance(items[0], Control) and items[0].position is None
    assert sub.last is None
