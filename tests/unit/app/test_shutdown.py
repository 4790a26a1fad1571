"""`bounded`: a shutdown step that never ends is cancelled and left behind after its deadline,
even one that swallows its cancellation, and a step's own error still reaches the caller."""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.shutdown import bounded


async def test_a_step_that_ends_in_time_is_simply_awaited() -> None:
    ran: list[str] = []

    async def step() -> None:
        await asyncio.sleep(0)
        ran.append("done")

    await bounded("quick", step, within=5)
    assert ran == ["done"]


async def test_a_step_that_swallows_its_cancellation_does_not_hold_the_caller(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()
    cancelled: list[bool] = []

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:  # as a client library can, mid-reconnect
                cancelled.append(True)

    with caplog.at_level(logging.WARNING, logger="app.shutdown"):
        await asyncio.wait_for(bounded("stubborn", stubborn, within=0.05), timeout=5)
    await asyncio.sleep(0)
    assert cancelled == [True]
    assert "'stubborn' did not end within" in caplog.text
    release.set()


async def test_a_steps_own_error_still_raises() -> None:
    async def broken() -> None:
        raise RuntimeError("pool already closed")

    with pytest.raises(RuntimeError, match="pool already closed"):
        await bounded("broken", broken, within=5)
