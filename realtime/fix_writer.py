"""Where an accepted fix goes live: the geo index, and the order's track when it has one.

Done one by one that is two Redis round trips per fix (the geo index's writes, then the track
event's publish script), and the location pipeline's hot path is mostly those round trips'
client-side cost. `RedisFixWriter` makes them one: a single script that writes the geo
index and then publishes the event exactly as `RedisBroker.publish` does (history, id,
pub/sub), and the fixes of one moment share one pipeline. `SeparateFixWriter` does the two
calls through any geo index and hub (embedded mode, the tests' in-process broker).

Either way Redis being away costs the map and the track this fix, never the fix itself: a
writer swallows `BrokerUnavailable`, the fix is still accepted and kept as a track point.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
from typing import Any, Protocol

from redis.exceptions import NoScriptError, RedisError

from domain.events import ORDER_LOCATION
from domain.location import LocationFix
from realtime import metrics
from realtime.broker import BrokerUnavailable
from realtime.geo_index import GeoIndex, RedisGeoIndex
from realtime.hub import Hub
from realtime.redis_broker import RedisBroker
from realtime.redis_scripts import GEO_UPDATE, GEO_UPDATE_THEN_PUBLISH


class FixWriter(Protocol):
    async def write(
        self, washer_id: int, fix: LocationFix, track_channel: str | None, track: Any
    ) -> None:
        """Index `fix`; publish `track` as `order.location` on `track_channel` if given.
        Never raises `BrokerUnavailable`."""


class SeparateFixWriter:
    """The geo index's update, then the hub's publish: any index, any broker."""

    def __init__(self, geo: GeoIndex, hub: Hub) -> None:
        self._geo = geo
        self._hub = hub

    async def write(
        self, washer_id: int, fix: LocationFix, track_channel: str | None, track: Any
    ) -> None:
        with contextlib.suppress(BrokerUnavailable):
            await self._geo.update(washer_id, fix)
        if track_channel is not None:
            with contextlib.suppress(BrokerUnavailable):
                await self._hub.publish(track_channel, ORDER_LOCATION, track)


_Command = tuple[str, list[str], list[Any]]
"""A script's SHA, its KEYS and its ARGV."""


def _sha(script: str) -> str:
    return hashlib.sha1(script.encode(), usedforsecurity=False).hexdigest()


class RedisFixWriter:
    """Geo index and track event in one script; the scripts of the fixes that arrive
    together go to Redis in one pipeline.

    A fix's write is queued and a flush is scheduled for the next turn of the event loop,
    so every fix read from the sockets in this turn shares one round trip (and the client's
    per-call cost: a pooled connection, a socket write, timeouts). A fix arriving while a
    batch is in flight joins the next one. Alone, a fix costs what one script call costs.

    Under load one loop turn holds only a fix or two (phones send on their own clocks), so
    batches are also spaced: a batch starts at most once per `linger` seconds, and the fixes
    of that interval wait for it. At 1,000 fixes/s that is a few fixes per round trip for at
    most `linger` more latency; a fix after a quiet moment still goes at once. The pipeline's
    client-side cost (its connection, socket write and read, the pub/sub messages it
    triggers) is paid per batch, and it was the largest part of the fix writer's share of
    the server's samples (docs/benchmarks.md, "Location ingest, second round").

    The script touches the geo keys and the channel's keys together, so they must live on
    one Redis node (as the geo index's own keys already must)."""

    def __init__(
        self,
        broker: RedisBroker,
        geo: RedisGeoIndex,
        *,
        max_batch: int = 256,
        linger: float = 0.004,
    ) -> None:
        self._broker = broker
        self._geo = geo
        self._max_batch = max_batch
        self._linger = linger
        self._last_batch_at = -math.inf
        self._scripts = {_sha(text): text for text in (GEO_UPDATE, GEO_UPDATE_THEN_PUBLISH)}
        self._geo_sha = _sha(GEO_UPDATE)
        self._track_sha = _sha(GEO_UPDATE_THEN_PUBLISH)
        self._queue: list[tuple[_Command, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0
        self.failed = 0
        """Writes Redis did not take (it was away): the fix lost its live effects only."""

    async def write(
        self, washer_id: int, fix: LocationFix, track_channel: str | None, track: Any
    ) -> None:
        geo_keys = self._geo.update_keys
        geo_args = self._geo.update_args(washer_id, fix)
        command: _Command
        if track_channel is None:
            command = (self._geo_sha, geo_keys, geo_args)
        else:
            keys, args = self._broker.publish_command(track_channel, ORDER_LOCATION, track)
            command = (self._track_sha, [*keys, *geo_keys], [*args, *geo_args])
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.append((command, done))
        if self._flusher is None:
            self._flusher = loop.create_task(self._flush(), name="fix-writer")
        await done

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                wait = self._last_batch_at + self._linger - loop.time()
                if wait > 0 and len(self._queue) < self._max_batch:
                    await asyncio.sleep(wait)  # the fixes of this interval join the batch
                self._last_batch_at = loop.time()
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                results = await self._send([command for command, _ in batch])
                published = 0
                for (command, done), result in zip(batch, results, strict=True):
                    if isinstance(result, Exception):
                        self.failed += 1
                    elif command[0] == self._track_sha:
                        published += 1
                    if not done.done():  # the op that waited may have been cancelled
                        done.set_result(None)
                if published:
                    metrics.EVENTS_PUBLISHED.inc(published)
                self.batches += 1
        finally:
            self._flusher = None

    async def _send(self, commands: list[_Command]) -> list[Any]:
        """Each command's result, or its exception; Redis away fails them all."""
        results = await self._pipeline(commands)
        missing = [n for n, r in enumerate(results) if isinstance(r, NoScriptError)]
        if missing:  # Redis restarted empty: load the scripts, run those commands again
            try:
                for text in self._scripts.values():
                    await self._broker.client.script_load(text)
            except (RedisError, OSError) as exc:
                return [BrokerUnavailable(str(exc))] * len(commands)
            again = await self._pipeline([commands[n] for n in missing])
            for n, result in zip(missing, again, strict=True):
                results[n] = result
        return results

    async def _pipeline(self, commands: list[_Command]) -> list[Any]:
        try:
            async with self._broker.client.pipeline(transaction=False) as pipe:
                for sha, keys, args in commands:
                    pipe.evalsha(sha, len(keys), *keys, *args)
                return list(await pipe.execute(raise_on_error=False))
        except (RedisError, OSError) as exc:
            return [BrokerUnavailable(f"location writes failed: {exc}")] * len(commands)
