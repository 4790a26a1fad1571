"""MemoryBroker specifics: expiry by TTL, which Redis does by itself."""

from __future__ import annotations

from realtime.memory_broker import MemoryBroker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_expired_history_is_not_covered_but_up_to_date_clients_are() -> None:
    clock = FakeClock()
    broker = MemoryBroker(history_ttl=10, meta_ttl=100, clock=clock)
    first = await broker.publish("user:1", "e", {})
    second = await broker.publish("user:1", "e", {})
    clock.now += 11
    stale = await broker.history("user:1", first.id, 10)
    fresh = await broker.history("user:1", second.id, 10)
    assert not stale.covered and fresh.covered and fresh.events == []


async def test_expired_position_means_a_new_epoch() -> None:
    clock = FakeClock()
    broker = MemoryBroker(history_ttl=10, meta_ttl=100, clock=clock)
    old = await broker.publish("user:1", "e", {})
    clock.now += 101
    new = await broker.publish("user:1", "e", {})
    assert new.position.offset == 1 and new.position.epoch != old.position.epoch
    assert not (await broker.history("user:1", old.id, 10)).covered


async def test_history_without_since_reports_the_top() -> None:
    broker = MemoryBroker()
    assert (await broker.history("order:1", None, 0)).top is None
    await broker.publish("order:1", "e", {}, offset=8)
    assert (await broker.history("order:1", None, 0)).top == "8"
    envelope = await broker.publish("user:1", "e", {})
    assert (await broker.history("user:1", None, 0)).top == envelope.id
