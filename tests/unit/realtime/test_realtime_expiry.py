"""The process's one expiry timer: each armed callback fires once, in time order, a cancelled
or re-armed one never fires, and cancelled entries do not pile up."""

from __future__ import annotations

import asyncio

from realtime.expiry import ExpiryClock, expiry_clock


async def test_callbacks_fire_once_in_time_order() -> None:
    clock = ExpiryClock(asyncio.get_running_loop())
    fired: list[str] = []
    clock.arm(0.06, lambda: fired.append("late"))
    clock.arm(0.02, lambda: fired.append("early"))
    clock.arm(0.0, lambda: fired.append("now"))
    assert len(clock) == 3
    await asyncio.sleep(0.01)
    assert fired == ["now"]
    await asyncio.sleep(0.1)
    assert fired == ["now", "early", "late"]
    assert len(clock) == 0


async def test_a_cancelled_or_rearmed_ticket_never_fires() -> None:
    clock = ExpiryClock(asyncio.get_running_loop())
    fired: list[str] = []
    first = clock.arm(0.01, lambda: fired.append("first"))
    clock.cancel(first)
    clock.cancel(first)  # twice is harmless
    clock.arm(0.03, lambda: fired.append("moved"))  # the re-armed expiry
    await asyncio.sleep(0.08)
    assert fired == ["moved"]


async def test_one_failing_callback_does_not_keep_others_from_firing() -> None:
    clock = ExpiryClock(asyncio.get_running_loop())
    fired: list[int] = []

    def broken() -> None:
        raise RuntimeError("boom")

    clock.arm(0.0, broken)
    clock.arm(0.0, lambda: fired.append(1))
    await asyncio.sleep(0.02)
    assert fired == [1]


async def test_cancelled_entries_are_compacted() -> None:
    clock = ExpiryClock(asyncio.get_running_loop())
    tickets = [clock.arm(3600.0, lambda: None) for _ in range(1000)]
    for ticket in tickets[:-10]:
        clock.cancel(ticket)
    assert len(clock) == 10
    assert len(clock._heap) <= 2 * len(clock) + 64


async def test_one_clock_per_loop() -> None:
    assert expiry_clock() is expiry_clock()
