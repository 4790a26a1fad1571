"""Where every washer was last seen: Redis GEO in production, a dict when embedded.

The index answers "who is near this point" for dispatch and "where was this washer" for
fix validation. Entries carry the fix time so callers can judge staleness themselves
(`domain.dispatch.is_stale`); entries not refreshed for `retention` seconds are pruned.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any, Protocol

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from domain.geo import LatLng, haversine_m
from domain.location import LocationFix
from realtime.broker import BrokerUnavailable
from realtime.redis_scripts import GEO_UPDATE


class NearbyWasher(msgspec.Struct, frozen=True):
    washer_id: int
    fix: LocationFix
    distance_m: float


class GeoIndex(Protocol):
    async def update(self, washer_id: int, fix: LocationFix) -> None: ...

    async def last_fix(self, washer_id: int) -> LocationFix | None: ...

    async def nearby(self, center: LatLng, radius_m: float, limit: int = 50) -> list[NearbyWasher]:
        """Washers within `radius_m`, nearest first."""
        ...

    async def nearby_each(
        self, centers: Sequence[LatLng], radius_m: float, limit: int = 50
    ) -> list[list[NearbyWasher]]:
        """`nearby` for each of `centers`, in their order: what dispatch asks for a batch of
        waiting orders at once."""
        ...


_READ_BATCH = 500
"""Washers per HMGET when many first fixes arrive at once."""
_fix_encoder = msgspec.json.Encoder()
_fix_decoder = msgspec.json.Decoder(LocationFix)


class MemoryGeoIndex:
    """One process's index; a linear scan is fine for a city's washers."""

    def __init__(self, retention: float = 3600.0) -> None:
        self._fixes: dict[int, tuple[LocationFix, float]] = {}
        self._retention = retention

    async def update(self, washer_id: int, fix: LocationFix) -> None:
        self._fixes[washer_id] = (fix, time.monotonic())

    async def last_fix(self, washer_id: int) -> LocationFix | None:
        entry = self._fixes.get(washer_id)
        return entry[0] if entry else None

    async def nearby(self, center: LatLng, radius_m: float, limit: int = 50) -> list[NearbyWasher]:
        horizon = time.monotonic() - self._retention
        found = []
        for washer_id, (fix, seen) in list(self._fixes.items()):
            if seen < horizon:
                del self._fixes[washer_id]
                continue
            distance = haversine_m(center, fix.position)
            if distance <= radius_m:
                found.append(NearbyWasher(washer_id, fix, distance))
        found.sort(key=lambda n: (n.distance_m, n.washer_id))
        return found[:limit]

    async def nearby_each(
        self, centers: Sequence[LatLng], radius_m: float, limit: int = 50
    ) -> list[list[NearbyWasher]]:
        return [await self.nearby(center, radius_m, limit) for center in centers]


class RedisGeoIndex:
    """GEOADD for position, a hash for the full fix, a sorted set of last-seen times for
    pruning; shared by every process, so dispatch sees washers connected to any pod."""

    def __init__(
        self, client: aioredis.Redis, prefix: str = "washline:", retention: float = 3600.0
    ):
        self._redis = client
        self._geo = f"{prefix}geo:washers"
        self._fixes = f"{prefix}geo:fixes"
        self._seen = f"{prefix}geo:seen"
        self._update_keys = [self._geo, self._fixes, self._seen]
        self._update_script = client.register_script(GEO_UPDATE)
        self._retention = retention
        self._reads: dict[int, asyncio.Future[LocationFix | None]] = {}
        self._reader: asyncio.Task[None] | None = None

    @property
    def update_keys(self) -> list[str]:
        """The keys of `redis_scripts.GEO_UPDATE`'s writes, in its order."""
        return self._update_keys

    @staticmethod
    def update_args(washer_id: int, fix: LocationFix) -> list[bytes | str | float]:
        """The arguments of `redis_scripts.GEO_UPDATE`'s writes for one fix."""
        member = str(washer_id)
        return [fix.lng, fix.lat, member, _fix_encoder.encode(fix), time.time()]

    async def update(self, washer_id: int, fix: LocationFix) -> None:
        try:
            await self._update_script(keys=self._update_keys, args=self.update_args(washer_id, fix))
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"geo index update failed: {exc}") from exc

    async def last_fix(self, washer_id: int) -> LocationFix | None:
        """The washer's stored fix. Reads asked for in the same moment share one HMGET: the
        pipeline asks once per washer (its first fix in this process), so a fleet that
        connects at once (a deploy, a shift) would otherwise make one round trip each, all
        queueing for the connection pool in the same second."""
        waiting = self._reads.get(washer_id)
        if waiting is None:
            waiting = asyncio.get_running_loop().create_future()
            self._reads[washer_id] = waiting
            if self._reader is None:
                self._reader = asyncio.create_task(self._read_waiting(), name="geo-last-fix")
        # Shielded: one caller giving up must not cancel the answer the others wait for.
        return await asyncio.shield(waiting)

    async def _read_waiting(self) -> None:
        batch: dict[int, asyncio.Future[LocationFix | None]] = {}
        try:
            await asyncio.sleep(0)  # let the reads of this moment join the batch
            while self._reads:
                batch = dict(list(self._reads.items())[:_READ_BATCH])
                for washer_id in batch:
                    del self._reads[washer_id]
                try:
                    raws = await self._redis.hmget(self._fixes, [str(w) for w in batch])
                except (RedisError, OSError) as exc:
                    failed = BrokerUnavailable(f"geo index read failed: {exc}")
                    for future in batch.values():
                        if not future.done():
                            future.set_exception(failed)
                    continue
                for future, raw in zip(batch.values(), raws, strict=True):
                    if not future.done():
                        future.set_result(_fix_decoder.decode(raw) if raw else None)
        finally:
            self._reader = None
            # Cancelled (shutdown) or failed: nobody may wait for an answer that never comes.
            unanswered = [*batch.values(), *self._reads.values()]
            self._reads.clear()
            for future in unanswered:
                if not future.done():
                    future.set_exception(BrokerUnavailable("geo index read abandoned"))

    async def nearby(self, center: LatLng, radius_m: float, limit: int = 50) -> list[NearbyWasher]:
        return (await self.nearby_each([center], radius_m, limit))[0]

    async def nearby_each(
        self, centers: Sequence[LatLng], radius_m: float, limit: int = 50
    ) -> list[list[NearbyWasher]]:
        """Three round trips however many centers: the prune, one pipeline of GEOSEARCHes,
        and one HMGET of every washer found (a washer near several centers read once)."""
        if not centers:
            return []
        try:
            await self._prune()
            async with self._redis.pipeline(transaction=False) as pipe:
                for center in centers:
                    pipe.geosearch(
                        self._geo,
                        longitude=center.lng,
                        latitude=center.lat,
                        radius=radius_m,
                        unit="m",
                        sort="ASC",
                        count=limit,
                        withdist=True,
                    )
                searches: list[list[Any]] = await pipe.execute()
            members = list(dict.fromkeys(member for hits in searches for member, _ in hits))
            raw_fixes = await self._redis.hmget(self._fixes, members) if members else []
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"geo index search failed: {exc}") from exc
        fixes = {
            member: _fix_decoder.decode(raw)
            for member, raw in zip(members, raw_fixes, strict=True)
            if raw
        }
        return [
            [
                NearbyWasher(int(member), fixes[member], float(distance))
                for member, distance in hits
                if member in fixes
            ]
            for hits in searches
        ]

    async def _prune(self) -> None:
        stale = await self._redis.zrangebyscore(self._seen, "-inf", time.time() - self._retention)
        if stale:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zrem(self._geo, *stale)
                pipe.hdel(self._fixes, *stale)
                pipe.zrem(self._seen, *stale)
                await pipe.execute()
