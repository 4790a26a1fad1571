"""The rate-limit store on a real Redis: counts are shared by every process and atomic;
after a restart the first command just works; while Redis is away the store still limits,
counting in this process, and goes back to Redis once it answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from app import rate_limit_store
from app.login_limits import limit_account_attempts
from app.rate_limit_store import NAMESPACE, ResilientStore, redis_rate_limit_store
from domain.errors import RateLimited
from tests.support.polling import poll_until
from tests.support.services import ThrowawayRedis, free_port

pytestmark = pytest.mark.redis


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[ResilientStore]:
    resilient = ResilientStore(redis_rate_limit_store(redis_url))
    yield resilient
    await resilient.primary._redis.aclose()  # type: ignore[attr-defined]


async def test_concurrent_increments_each_get_their_own_count(
    store: ResilientStore, redis_prefix: str
) -> None:
    key = f"{redis_prefix}burst"
    counts = await asyncio.gather(*(store.increment(key, 60) for _ in range(50)))
    assert sorted(counts) == list(range(1, 51))
    assert not store.degraded


async def test_two_processes_count_together(
    store: ResilientStore, redis_url: str, redis_prefix: str
) -> None:
    other = ResilientStore(redis_rate_limit_store(redis_url))
    try:
        key = f"{redis_prefix}shared"
        assert await store.increment(key, 60) == 1
        assert await other.increment(key, 60) == 2
        assert await store.increment(key, 60) == 3
        assert await other.get(key) == b"3"
    finally:
        await other.primary._redis.aclose()  # type: ignore[attr-defined]


async def test_a_counter_expires_as_asked_under_the_namespace(
    store: ResilientStore, redis_url: str, redis_prefix: str
) -> None:
    key = f"{redis_prefix}ttl"
    await store.increment(key, 120)
    client = aioredis.from_url(redis_url)
    try:
        ttl = await client.ttl(f"{NAMESPACE}:{key}")
    finally:
        await client.aclose()
    assert 0 < ttl <= 120
    assert 0 < (await store.expires_in(key) or 0) <= 120


async def test_the_store_api_reaches_redis(store: ResilientStore, redis_prefix: str) -> None:
    key = f"{redis_prefix}plain"
    await store.set(key, "v", expires_in=60)
    assert await store.exists(key)
    assert await store.get(key) == b"v"
    await store.delete(key)
    assert not await store.exists(key)
    assert await store.get(key) is None


async def test_an_absent_redis_still_limits_in_this_process(redis_prefix: str) -> None:
    store = ResilientStore(redis_rate_limit_store(f"redis://127.0.0.1:{free_port()}/0"))
    key = f"{redis_prefix}down"
    try:
        assert [await store.increment(key, 60) for _ in range(3)] == [1, 2, 3]
        assert store.degraded
        await store.set("other", "x", expires_in=60)
        assert await store.get("other") == b"x"
        assert await store.exists("other")
        await store.delete_all()  # clears this process's counts; Redis failing is no error
        assert await store.increment(key, 60) == 1
    finally:
        await store.primary._redis.aclose()  # type: ignore[attr-defined]


async def test_a_redis_outage_falls_back_then_returns_to_redis(redis_prefix: str) -> None:
    key = f"{redis_prefix}blink"
    with ThrowawayRedis() as server:
        store = ResilientStore(redis_rate_limit_store(server.url))
        try:
            assert await store.increment(key, 60) == 1
            server.stop()
            # Redis held 1; this process starts its own count while Redis is away.
            assert await store.increment(key, 60) == 1
            assert await store.increment(key, 60) == 2
            assert store.degraded
            server.start()
            store._local_until = 0.0  # as if the retry delay had passed
            # Back on Redis: the restarted (empty) server counts from scratch, and the first
            # command after the restart does not fail on a dead pooled connection.
            assert await store.increment(key, 60) == 1
            assert not store.degraded
        finally:
            await store.primary._redis.aclose()  # type: ignore[attr-defined]
            server.stop()


async def test_the_first_command_after_a_restart_succeeds(redis_prefix: str) -> None:
    key = f"{redis_prefix}restart"
    with ThrowawayRedis() as server:
        store = ResilientStore(redis_rate_limit_store(server.url))
        try:
            await store.set(key, "before", expires_in=60)
            server.stop()
            server.start()
            await store.set(key, "after", expires_in=60)
            assert not store.degraded
            assert await store.get(key) == b"after"
        finally:
            await store.primary._redis.aclose()  # type: ignore[attr-defined]


async def test_while_degraded_redis_is_tried_again_after_the_retry_delay(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rate_limit_store, "RETRY_REDIS_AFTER_SECONDS", 0.2)
    store = ResilientStore(redis_rate_limit_store(redis_url))
    key = f"{redis_prefix}retry"
    try:
        store._failed(ConnectionError("as if Redis had just failed"))
        assert store.degraded
        assert await store.increment(key, 60) == 1  # local
        await poll_until(lambda: asyncio.sleep(0, store.degraded), lambda down: not down)
        assert await store.increment(key, 60) == 1  # Redis's own first count
        assert await store.increment(key, 60) == 2
    finally:
        await store.primary._redis.aclose()  # type: ignore[attr-defined]


async def test_login_attempts_of_one_account_are_limited_across_processes(
    redis_url: str, redis_prefix: str
) -> None:
    first = ResilientStore(redis_rate_limit_store(redis_url))
    second = ResilientStore(redis_rate_limit_store(redis_url))
    email = f"{redis_prefix}guessed@example.com"
    try:
        await limit_account_attempts(first, email, 3)
        await limit_account_attempts(second, email, 3)
        await limit_account_attempts(first, email.upper(), 3)
        with pytest.raises(RateLimited):
            await limit_account_attempts(second, email, 3)
    finally:
        for store in (first, second):
            await store.primary._redis.aclose()  # type: ignore[attr-defined]


async def test_the_embedded_store_counts_in_memory_without_redis() -> None:
    store = ResilientStore()
    counts = await asyncio.gather(*(store.increment("k", 60) for _ in range(20)))
    assert sorted(counts) == list(range(1, 21))
    assert await store.get("k") == b"20"
    assert not store.degraded
    await store.delete("k")
    assert await store.increment("k", 60) == 1
