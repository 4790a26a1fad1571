"""The rate-limit store: Redis when configured, and still a limit when Redis blinks.

Rate limits guard logins and sign-ups; they must never be why those answer 500. Two failure
modes, two answers:
- after a Redis restart the pool holds dead connections: the client retries a failed
  command once on a fresh connection (redis-py's `Retry`), so the first login after the
  restart just works;
- while Redis is down: count in this process instead (each process then limits on its own,
  which is looser across pods but still a limit), and go back to Redis once it answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

NAMESPACE = "washline-ratelimit"
RETRY_REDIS_AFTER_SECONDS = 5.0
"""While Redis is down, how long the store counts locally before trying Redis again."""
PURGE_EXPIRED_EVERY_SECONDS = 60.0
"""How often local counting sweeps out expired counters: a `MemoryStore` drops an expired
key only when it is read again, and counters keyed by window never are."""
_FAILURES = (RedisError, OSError)
T = TypeVar("T")

log = logging.getLogger(__name__)


def redis_rate_limit_store(url: str) -> RedisStore:
    client = Redis.from_url(
        url,
        retry=Retry(EqualJitterBackoff(cap=0.5, base=0.05), retries=1),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        socket_connect_timeout=2,
        socket_timeout=2,
        health_check_interval=30,
    )
    return RedisStore(client, namespace=NAMESPACE, handle_client_shutdown=True)


class ResilientStore(Store):
    """A `RedisStore` that falls back to a per-process `MemoryStore` while Redis is away.

    With no Redis (``primary`` None, the embedded mode) the `MemoryStore` is the store, so
    every caller counts through :meth:`increment` whatever the mode."""

    def __init__(self, primary: RedisStore | None = None) -> None:
        self.fallback = MemoryStore()
        self._redis = primary
        self.primary: Store = primary if primary is not None else self.fallback
        self._local_until = 0.0
        self._next_purge = time.monotonic() + PURGE_EXPIRED_EVERY_SECONDS
        self._lock = asyncio.Lock()

    @property
    def degraded(self) -> bool:
        """Counting in this process only (Redis failed moments ago)."""
        return time.monotonic() < self._local_until

    def _failed(self, exc: BaseException) -> None:
        if not self.degraded:
            log.warning("rate-limit store: Redis unavailable (%s); counting in this process", exc)
        self._local_until = time.monotonic() + RETRY_REDIS_AFTER_SECONDS

    async def _either(
        self, on_redis: Callable[[], Awaitable[T]], on_memory: Callable[[], Awaitable[T]]
    ) -> T:
        """Redis's answer while it gives one, else this process's."""
        if self._redis is not None and not self.degraded:
            try:
                return await on_redis()
            except _FAILURES as exc:
                self._failed(exc)
        answer = await on_memory()
        await self._sweep()
        return answer

    async def _sweep(self) -> None:
        """Drop expired entries from memory, at most every `PURGE_EXPIRED_EVERY_SECONDS`."""
        if time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + PURGE_EXPIRED_EVERY_SECONDS
            await self.fallback.delete_expired()

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        await self._either(
            lambda: self.primary.set(key, value, expires_in),
            lambda: self.fallback.set(key, value, expires_in),
        )

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await self._either(
            lambda: self.primary.get(key, renew_for), lambda: self.fallback.get(key, renew_for)
        )

    async def delete(self, key: str) -> None:
        await self._either(lambda: self.primary.delete(key), lambda: self.fallback.delete(key))

    async def delete_all(self) -> None:
        await self.fallback.delete_all()
        try:
            await self.primary.delete_all()
        except _FAILURES as exc:
            self._failed(exc)

    async def exists(self, key: str) -> bool:
        return await self._either(
            lambda: self.primary.exists(key), lambda: self.fallback.exists(key)
        )

    async def expires_in(self, key: str) -> int | None:
        return await self._either(
            lambda: self.primary.expires_in(key), lambda: self.fallback.expires_in(key)
        )

    async def increment(self, key: str, expires_in: int) -> int:
        """Add one to the counter ``key`` and return it, atomically (across processes while
        Redis answers; within this one otherwise)."""
        redis = self._redis
        if redis is not None and not self.degraded:
            try:
                name = redis._make_key(key)
                async with redis._redis.pipeline(transaction=True) as pipeline:
                    pipeline.incr(name)
                    pipeline.expire(name, expires_in)
                    count, _ = await pipeline.execute()
                return int(count)
            except _FAILURES as exc:
                self._failed(exc)
        async with self._lock:
            count = int(await self.fallback.get(key) or 0) + 1
            await self.fallback.set(key, str(count), expires_in=expires_in)
        await self._sweep()
        return count
