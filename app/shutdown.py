"""Shutdown steps that cannot hang the process.

A step waiting on a link that never answers (a read across a Redis restart, a task that
swallowed its cancellation) would keep the lifespan, and with it the process, from ending:
the orchestrator would kill it at the end of its grace period with the later steps (closing
the database pool, flushing traces) never run. Each step gets a deadline instead; one that
overruns is cancelled, logged and left behind, and the steps after it still run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

STEP_SECONDS = 10.0
"""Longer than any step takes when its peers answer (ending every live session, stopping a
worker between two rounds, closing pools), well inside a pod's 30 s grace period."""


async def bounded(
    name: str, step: Callable[[], Awaitable[None]], within: float = STEP_SECONDS
) -> None:
    """Run one shutdown step for at most ``within`` seconds; its own errors still raise.

    `asyncio.wait` rather than `asyncio.timeout`: cancelling a caller that awaits a task which
    swallows the cancellation would leave the caller waiting as long as the task."""
    task = asyncio.ensure_future(step())
    done, _ = await asyncio.wait({task}, timeout=within)
    if task in done:
        task.result()
        return
    task.cancel()
    log.warning("shutdown step %r did not end within %.0f s; left behind", name, within)
