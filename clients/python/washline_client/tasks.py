"""A live connection's background work: its own tasks, cancelled when it stops, and the
app's callbacks, which may be plain functions or coroutines."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class Tasks:
    """The tasks a connection started; `detached` ones run to their end even after it stops
    (the app's `on_ended` must be called although the connection's own tasks are gone)."""

    def __init__(self) -> None:
        self._running: set[asyncio.Future[None]] = set()
        self._detached: set[asyncio.Future[None]] = set()

    def spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def spawn_detached(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._detached.add(task)
        task.add_done_callback(self._detached.discard)

    def cancel(self) -> list[asyncio.Future[None]]:
        """Cancel every running task but the one calling (it ends once it returns, and is
        not cancelled under its own feet); the ones cancelled."""
        current = asyncio.current_task()
        cancelled = [task for task in self._running if task is not current]
        for task in cancelled:
            task.cancel()
        return cancelled

    async def stop(self) -> None:
        """Cancel the running tasks and wait until they have ended."""
        await asyncio.gather(*self.cancel(), return_exceptions=True)


async def call_app(handler: Callable[[T], Awaitable[None] | None], value: T) -> None:
    """Call one of the app's handlers, awaiting it if it is a coroutine."""
    result = handler(value)
    if inspect.isawaitable(result):
        await result
