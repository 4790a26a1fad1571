"""Every few seconds, per process: publish a delivery probe and check the stores.

Both feed the alert rules (k8s/components/monitoring): the probe proves delivery across pods
(`app.workers.probe`), the checks record each store's availability
(`app.workers.store_checks`). A failure of either never ends the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from app.lifecycle import Runtime
from app.workers.probe import DeliveryProbe
from app.workers.store_checks import check_stores

log = logging.getLogger(__name__)


class Heartbeat:
    """Off when ``interval`` is 0 (``PROBE_INTERVAL_SECONDS=0``)."""

    def __init__(self, runtime: Runtime, interval: float) -> None:
        self._runtime = runtime
        self._interval = interval
        self.probe = DeliveryProbe(runtime.broker, interval)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._interval <= 0:
            return
        await self.probe.start()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="heartbeat")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        await self.probe.stop()

    async def beat(self) -> None:
        await self.probe.send()
        ping = self._runtime.ping_redis if self._runtime.redis is not None else None
        await check_stores(self._runtime.engine, ping)

    async def _run(self) -> None:
        while True:
            try:
                await self.beat()
            except Exception:
                log.exception("heartbeat failed; next one in %.1f s", self._interval)
            await asyncio.sleep(self._interval)
