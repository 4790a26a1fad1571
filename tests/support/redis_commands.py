"""Counting the commands a test sends to Redis, and only that test's.

`INFO commandstats` counts for the whole server, so any other client busy at the same time
(a second test run, a background worker) would change the count. MONITOR streams every
command with its arguments; keeping the lines that name one of the test's own keys (every
test has a unique key prefix) counts exactly what the code under test sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import redis.asyncio as aioredis


class CommandsSeen:
    """Commands seen by a running monitor, by lower-case name, for keys under ``prefix``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.calls: Counter[str] = Counter()
        self._seen_marker = asyncio.Event()
        self._marker = f"{prefix}__monitor_marker__"

    def note(self, command: str) -> None:
        """Count one MONITOR line's command (``"HMGET" "key" ...``) if it names our keys."""
        if self._marker in command:
            self._seen_marker.set()
            return
        if self.prefix not in command:
            return
        name = command.split(" ", 1)[0].strip('"').lower()
        self.calls[name] += 1

    async def settle(self, client: aioredis.Redis) -> None:
        """Wait until the monitor has seen everything sent before this call: Redis answers
        commands in order, so once a marker command shows up, all earlier ones have."""
        self._seen_marker.clear()
        await client.exists(self._marker)
        await asyncio.wait_for(self._seen_marker.wait(), 10)

    async def count(self, client: aioredis.Redis, command: str) -> int:
        """How many times ``command`` was sent so far, every earlier command counted."""
        await self.settle(client)
        return self.calls[command.lower()]


@contextlib.asynccontextmanager
async def commands_seen(redis_url: str, prefix: str) -> AsyncIterator[CommandsSeen]:
    """Run a MONITOR for the block; yields the counter of the prefix's commands."""
    seen = CommandsSeen(prefix)
    monitor_client = aioredis.from_url(redis_url)
    ready = asyncio.Event()

    async def watch() -> None:
        async with monitor_client.monitor() as monitor:
            ready.set()
            async for line in monitor.listen():
                seen.note(str(line.get("command", "")))

    watcher = asyncio.create_task(watch())
    try:
        await asyncio.wait_for(ready.wait(), 10)
        await seen.settle(monitor_client)
        yield seen
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await watcher
        await monitor_client.aclose()
