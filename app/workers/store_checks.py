"""Whether this process can reach its stores, as a metric: ``washline_dependency_up``.

Readiness (`/ready`) answers the load balancer; this answers the alert rules, which need
the history of each store's availability per process, not one probe's verdict.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.metrics import DEPENDENCY_UP

log = logging.getLogger(__name__)


async def check_stores(
    engine: AsyncEngine, ping_redis: Callable[[], Awaitable[object]] | None
) -> dict[str, bool]:
    """One ``SELECT 1`` and, with Redis configured, one ``PING``; sets the gauges."""
    results = {"database": await _answers(_select_one(engine))}
    if ping_redis is not None:
        results["redis"] = await _answers(ping_redis())
    for dependency, up in results.items():
        DEPENDENCY_UP.labels(dependency).set(1 if up else 0)
    return results


async def _select_one(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _answers(call: Awaitable[object]) -> bool:
    try:
        await call
    except Exception as exc:
        log.debug("store check failed: %s", exc)
        return False
    return True
