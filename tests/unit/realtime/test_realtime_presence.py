"""Presence: join, leave, expiry when heartbeats stop (memory store)."""

from __future__ import annotations

from realtime.presence import WASHERS_ONLINE, MemoryPresence, PresenceTracker


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_join_leave_and_members() -> None:
    tracker = PresenceTracker(MemoryPresence(), ttl=30)
    await tracker.join(WASHERS_ONLINE, "washer:1", {"name": "Ann"})
    await tracker.join(WASHERS_ONLINE, "washer:2")
    assert await tracker.members(WASHERS_ONLINE) == {"washer:1": {"name": "Ann"}, "washer:2": {}}
    await tracker.leave(WASHERS_ONLINE, "washer:1")
    assert list(await tracker.members(WASHERS_ONLINE)) == ["washer:2"]


async def test_entries_lapse_without_heartbeat_and_live_with_it() -> None:
    clock = FakeClock()
    store = MemoryPresence(clock=clock)
    alive, dead = PresenceTracker(store, ttl=30), PresenceTracker(store, ttl=30)
    await alive.join("order:1", "customer:1")
    await dead.join("order:1", "washer:9")
    for _ in range(4):
        clock.now += 10
        await alive.refresh()  # the other process died: no refresh from it
    assert list(await store.members("order:1")) == ["customer:1"]


async def test_stop_removes_own_entries() -> None:
    tracker = PresenceTracker(MemoryPresence(), ttl=30)
    await tracker.start()
    await tracker.join(WASHERS_ONLINE, "washer:1")
    await tracker.stop()
    assert await tracker.members(WASHERS_ONLINE) == {}
