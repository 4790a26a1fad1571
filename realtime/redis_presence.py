"""Presence in Redis: a sorted set scored by expiry (ms, Redis clock) plus an info hash.

Expiry uses Redis's own clock (TIME inside the scripts), so processes with drifting clocks
agree on who is still there.
"""

from __future__ import annotations

from typing import Any

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from realtime.broker import BrokerUnavailable

_PUT = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('zadd', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('hset', KEYS[2], ARGV[1], ARGV[2])
redis.call('pexpire', KEYS[1], ARGV[3] * 2)
redis.call('pexpire', KEYS[2], ARGV[3] * 2)
return 1
"""

_MEMBERS = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local expired = redis.call('zrangebyscore', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('zremrangebyscore', KEYS[1], '-inf', now)
  redis.call('hdel', KEYS[2], unpack(expired))
end
local alive = redis.call('zrange', KEYS[1], 0, -1)
if #alive == 0 then return {} end
local infos = redis.call('hmget', KEYS[2], unpack(alive))
local result = {}
for i, client in ipairs(alive) do
  result[#result + 1] = client
  result[#result + 1] = infos[i] or '{}'
end
return result
"""


_PUT_BATCH = 500
"""Entries per pipeline of a heartbeat's refresh."""


class RedisPresence:
    def __init__(self, client: aioredis.Redis, *, prefix: str = "washline:") -> None:
        self._client = client
        self._prefix = prefix
        self._put = client.register_script(_PUT)
        self._members = client.register_script(_MEMBERS)

    def _keys(self, key: str) -> list[str]:
        return [f"{self._prefix}pz:{{{key}}}", f"{self._prefix}pi:{{{key}}}"]

    async def put(self, key: str, client_id: str, info: dict[str, Any], ttl: float) -> None:
        args: list[bytes | str | int] = [client_id, msgspec.json.encode(info), int(ttl * 1000)]
        try:
            await self._put(keys=self._keys(key), args=args)
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"presence update failed: {exc}") from exc

    async def put_many(self, entries: list[tuple[str, str, dict[str, Any]]], ttl: float) -> None:
        """`put` of many entries in one round trip per `_PUT_BATCH`: a process's heartbeat
        refreshes every entry of its connections, which one call each made thousands of
        round trips per beat (a visible share of the server's CPU with 2,000 sockets)."""
        ttl_ms = int(ttl * 1000)
        try:
            for start in range(0, len(entries), _PUT_BATCH):
                async with self._client.pipeline(transaction=False) as pipe:
                    for key, client_id, info in entries[start : start + _PUT_BATCH]:
                        args: list[bytes | str | int] = [
                            client_id,
                            msgspec.json.encode(info),
                            ttl_ms,
                        ]
                        await self._put(keys=self._keys(key), args=args, client=pipe)
                    await pipe.execute()
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"presence update failed: {exc}") from exc

    async def remove(self, key: str, client_id: str) -> None:
        zset, info = self._keys(key)
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.zrem(zset, client_id)
                pipe.hdel(info, client_id)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"presence update failed: {exc}") from exc

    async def members(self, key: str) -> dict[str, dict[str, Any]]:
        try:
            flat = await self._members(keys=self._keys(key), args=[])
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"presence read failed: {exc}") from exc
        return {flat[i].decode(): msgspec.json.decode(flat[i + 1]) for i in range(0, len(flat), 2)}
