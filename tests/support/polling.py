"""Waiting for what the server does in the background (batched writes, dispatch, KPIs).

Never a fixed sleep and never a timed assertion: poll until the answer is ready, and hand the
last answer back either way, so a test that times out fails on what it actually saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_WITHIN_SECONDS = 15.0


async def poll_until(
    fetch: Callable[[], Awaitable[T]],
    ready: Callable[[T], bool],
    *,
    within: float = DEFAULT_WITHIN_SECONDS,
    every: float = 0.1,
) -> T:
    """Call ``fetch`` until ``ready`` holds for its answer or ``within`` seconds pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        answer = await fetch()
        if ready(answer) or loop.time() > deadline:
            return answer
        await asyncio.sleep(every)
