"""The live connection's background work (`washline_client.tasks`): stopping cancels its
tasks but not the one asking, detached work runs to its end, and an app handler may be a
plain function or a coroutine."""

from __future__ import annotations

import asyncio

from washline_client.tasks import Tasks, call_app


async def test_stopping_cancels_running_tasks_but_not_detached_ones() -> None:
    tasks = Tasks()
    finished: list[str] = []

    async def forever() -> None:
        await asyncio.Event().wait()

    async def detached() -> None:
        await asyncio.sleep(0.01)
        finished.append("detached")

    tasks.spawn(forever())
    tasks.spawn_detached(detached())
    await tasks.stop()
    await asyncio.sleep(0.05)
    assert finished == ["detached"]


async def test_a_task_cancelling_its_siblings_is_not_cancelled_itself() -> None:
    tasks = Tasks()
    outcome: list[str] = []

    async def sibling() -> None:
        await asyncio.Event().wait()

    async def ender() -> None:
        cancelled = tasks.cancel()
        await asyncio.sleep(0)
        outcome.append(f"ended {len(cancelled)}")

    tasks.spawn(sibling())
    tasks.spawn(ender())
    await asyncio.sleep(0.05)
    assert outcome == ["ended 1"]


async def test_an_app_handler_may_be_plain_or_a_coroutine() -> None:
    seen: list[int] = []

    async def later(value: int) -> None:
        seen.append(value * 10)

    await call_app(seen.append, 1)
    await call_app(later, 2)
    assert seen == [1, 20]
