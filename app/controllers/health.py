"""Liveness and readiness.

`/health` says the process is alive. `/ready` says it should receive traffic: the database
and (when configured) Redis answer, and the process is not draining after SIGTERM.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import MediaType, Response, get
from sqlalchemy import text

from app.answers import NOT_READY
from app.dependencies import Injected
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
    summary="Ready for traffic (503 names what failed)",
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
    healthy = all(value == "ok" for value in checks.values())
    body: dict[str, Any] = {"status": "ready" if healthy else "unavailable", "checks": checks}
    if not healthy:
        failed = [name for name, value in checks.items() if value != "ok"]
        body.update(code="not_ready", message="not ready: " + ", ".join(failed))
    return Response(body, status_code=200 if healthy else 503)
