"""`washline_dependency_up` follows what the stores answer: a real SQLite database and a
real Redis answer; a Redis that is not there (a closed port) does not."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY

from app.workers.store_checks import check_stores
from persistence.database import create_engine
from tests.support.services import free_port

pytestmark = pytest.mark.redis


def _up(dependency: str) -> float | None:
    return REGISTRY.get_sample_value("washline_dependency_up", {"dependency": dependency})


async def test_reachable_stores_are_up_and_an_absent_redis_is_down(
    tmp_path: Path, redis_url: str
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'checks.db'}")
    live = aioredis.from_url(redis_url)
    absent = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    try:
        assert await check_stores(engine, live.ping) == {"database": True, "redis": True}
        assert (_up("database"), _up("redis")) == (1.0, 1.0)
        assert await check_stores(engine, absent.ping) == {"database": True, "redis": False}
        assert _up("redis") == 0.0
        assert await check_stores(engine, None) == {"database": True}
    finally:
        await live.aclose()
        await absent.aclose()
        await engine.dispose()
