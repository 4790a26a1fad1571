"""Liveness and readiness.

`/health` says the process is alive. `/ready` says it should receive traffic: the database
answers and the process is not draining after SIGTERM (else 503). Redis is checked too, but
its outage only makes the answer `degraded` (still 200): every Redis use degrades (rate limits
count per process, live streams catch up when it is back, the few routes that need it answer
503 `redis_unavailable`), so taking every pod out of the Service over it would turn a partial
outage into a total one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import MediaType, Response, get
from sqlalchemy import text

from app.dependencies import Injected
from app.http.answers import NOT_READY
from app.lifecycle import Runtime

CHECK_TIMEOUT_SECONDS = 2.0


@get("/health", tags=["operations"], summary="The process is alive", media_type=MediaType.JSON)
async def health() -> dict[str, str]:
    return {"status": "ok"}


async def _check(probe: Any) -> str:
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        return f"down: {type(exc).__name__}"
    return "ok"


@get(
    "/ready",
    tags=["operations"],
    summary="Ready for traffic: 200 ready or degraded (Redis down), 503 names what failed",
    refuses=(NOT_READY,),
)
async def ready(runtime: Injected[Runtime]) -> Response[dict[str, Any]]:

    async def database() -> None:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    checks: dict[str, str] = {"database": await _check(database)}
    if runtime.settings.uses_redis:
        checks["redis"] = await _check(runtime.ping_redis)
    if runtime.draining:
        checks["process"] = "draining"
    failed = [name for name, value in checks.items() if value != "ok"]
    if not failed:
        return Response({"status": "ready", "checks": checks}, status_code=200)
    body: dict[str, Any] = {"checks": checks}
    if failed == ["redis"]:
        body.update(
            status="degraded", code="degraded", message="serving without live services: redis"
        )
        return Response(body, status_code=200)
    body.update(status="unavailable", code="not_ready", message="not ready: " + ", ".join(failed))
    return Response(body, status_code=503)
