"""The location pipeline's database side: active jobs (cached), batched track points, and
the geofence arrival as a system transition."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.services.order_transitions import transition_order
from app.workers.outage import WorkerOutage
from domain.errors import Conflict, RefusalKind
from domain.geo import LatLng, round_coordinate
from domain.location import LocationFix
from domain.order_transitions import TransitionDenied
from domain.orders import OrderStatus
from domain.roles import SYSTEM_ACTOR
from persistence.database import DATABASE_DOWN
from persistence.orders import active_jobs
from persistence.track import write_track_batch
from realtime.envelope import Envelope
from realtime.location_pipeline import ActiveJob, ArrivalDeferred

log = logging.getLogger(__name__)


class CachedActiveJobs:
    """A washer's current order, cached for `ttl` seconds: at 1 Hz that is one lookup per
    washer every few seconds, never one per fix. Order events on `ops` (from any process)
    invalidate entries at once; `ttl` only bounds how long a missed event could matter.

    Misses that arrive together are answered by ONE query: when a fleet of phones connects
    at once (a deploy, a morning shift) hundreds of cold washers would otherwise queue for
    the connection pool one query each, and their first fixes would wait for it."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        ttl: float = 10.0,
        max_batch: int = 500,
    ):
        self._session_factory = session_factory
        self.ttl = ttl
        self._max_batch = max_batch
        self._cache: dict[int, tuple[ActiveJob | None, float]] = {}
        self._waiting: dict[int, asyncio.Future[ActiveJob | None]] = {}
        self._loader: asyncio.Task[None] | None = None
        self.queries = 0
        self.stale_answers = 0

    def forget(self, washer_id: int) -> None:
        self._cache.pop(washer_id, None)

    def on_ops_event(self, envelope: Envelope) -> None:
        """Every order event reaches every process on `ops`: drop what it makes stale (the
        order's washer now, and whoever had the order cached before), so a washer's track
        starts with the first fix after an assignment, not after the cache expires."""
        if not envelope.event.startswith("order."):
            return
        data = envelope.data
        order_id, washer_id = data.get("order_id"), data.get("washer_id")
        if washer_id is not None:
            self._cache.pop(int(washer_id), None)
        for cached_washer, (job, _) in list(self._cache.items()):
            if job is not None and job.order_id == order_id:
                self._cache.pop(cached_washer, None)

    async def current(self, washer_id: int) -> ActiveJob | None:
        cached = self._cache.get(washer_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        waiting = self._waiting.get(washer_id)
        if waiting is None:
            waiting = asyncio.get_running_loop().create_future()
            self._waiting[washer_id] = waiting
            if self._loader is None:
                self._loader = asyncio.create_task(self._load_waiting(), name="active-jobs")
        # Shielded: one caller giving up must not cancel the answer the others wait for.
        return await asyncio.shield(waiting)

    async def _load_waiting(self) -> None:
        await asyncio.sleep(0)  # let the misses of this moment join the batch
        while self._waiting:
            batch = dict(list(self._waiting.items())[: self._max_batch])
            for washer_id in batch:
                del self._waiting[washer_id]
            try:
                jobs = await self._query(list(batch))
            except DATABASE_DOWN as exc:
                self._answer_stale(batch, exc)
                continue
            except Exception as exc:
                for future in batch.values():
                    if not future.done():
                        future.set_exception(exc)
                continue
            expires = time.monotonic() + self.ttl
            for washer_id, future in batch.items():
                job = jobs.get(washer_id)
                self._cache[washer_id] = (job, expires)
                if not future.done():
                    future.set_result(job)
        self._loader = None

    def _answer_stale(
        self, batch: dict[int, asyncio.Future[ActiveJob | None]], exc: Exception
    ) -> None:
        """The database is away: answer with what was last known, however old, so fixes keep
        reaching the order's track (a washer changes orders only through the database, so
        nothing newer can exist). A washer never looked up has no known job: their fixes
        move the map but no track until the database is back. Nothing is cached, so the
        first lookup after the outage asks again."""
        self.stale_answers += len(batch)
        log.warning("active jobs unavailable (%r); answering %d from cache", exc, len(batch))
        for washer_id, future in batch.items():
            cached = self._cache.get(washer_id)
            if not future.done():
                future.set_result(cached[0] if cached is not None else None)

    async def _query(self, washer_ids: list[int]) -> dict[int, ActiveJob]:
        """Each washer's newest active order (a washer has at most one; newest wins if not)."""
        self.queries += 1
        async with self._session_factory() as session:
            rows = await active_jobs(session, washer_ids)
            return {
                washer_id: ActiveJob(order_id, OrderStatus(status), LatLng(lat, lng))
                for washer_id, order_id, status, lat, lng in rows
            }


TRACK_BUFFER_LIMIT = 50_000
"""Track points kept while the database is away (about 14 minutes of 60 washers at 1 Hz, a
few tens of MB); past it the oldest are dropped: a gap in a recorded path beats a process
that runs out of memory, and the live track never waits on this buffer."""


class BatchedTrackSink:
    """Buffers track points and writes them in one INSERT per batch, with each washer's
    newest position on its profile, every `interval` seconds or `batch_size` points.

    While the database is away the points stay buffered (up to `max_buffer`, oldest dropped
    first) and the writer backs off; the first write after the outage stores them all."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        interval: float = 2.0,
        batch_size: int = 500,
        max_buffer: int = TRACK_BUFFER_LIMIT,
    ) -> None:
        self._session_factory = session_factory
        self._interval = interval
        self._batch_size = batch_size
        self._max_buffer = max_buffer
        self._buffer: list[dict[str, Any]] = []
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.outage = WorkerOutage("track writer", cap=10.0, base=interval)
        self.batches = 0
        self.points = 0
        self.dropped = 0

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def add(self, washer_id: int, order_id: int | None, fix: LocationFix) -> None:
        self._buffer.append(
            {
                "washer_id": washer_id,
                "order_id": order_id,
                "lat": round_coordinate(fix.lat),
                "lng": round_coordinate(fix.lng),
                "heading": fix.heading,
                "speed": fix.speed,
                "accuracy": fix.accuracy,
                "recorded_at": fix.ts,
            }
        )
        self._trim()
        if len(self._buffer) >= self._batch_size:
            self._full.set()

    def _trim(self) -> None:
        excess = len(self._buffer) - self._max_buffer
        if excess > 0:
            del self._buffer[:excess]
            self.dropped += excess
            log.warning("track buffer full; dropped the %d oldest points", excess)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.flush()
        except DATABASE_DOWN:
            log.warning("database unavailable at shutdown; %d track points lost", self.buffered)

    async def _run(self) -> None:
        delay = self._interval
        while True:
            if self.outage.ongoing:
                await asyncio.sleep(delay)  # a full buffer cannot hurry a database that is away
            else:
                with contextlib.suppress(TimeoutError):  # `timeout`: see CommitSignal.wait
                    async with asyncio.timeout(delay):
                        await self._full.wait()
            self._full.clear()
            try:
                await self.flush()
                self.outage.succeeded()
                delay = self._interval
            except Exception as exc:  # the points stay buffered for the next try
                delay = max(self._interval, self.outage.failed(exc))

    async def flush(self) -> None:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        newest: dict[int, dict[str, Any]] = {}
        for point in batch:
            seen = newest.get(point["washer_id"])
            if seen is None or point["recorded_at"] > seen["recorded_at"]:
                newest[point["washer_id"]] = point
        try:
            async with self._session_factory() as session, session.begin():
                await write_track_batch(session, batch, newest)
        except Exception:
            self._buffer[:0] = batch
            self._trim()
            raise
        self.batches += 1
        self.points += len(batch)


def arrival_handler(session_factory: async_sessionmaker[AsyncSession]) -> Any:
    """The geofence rule's effect: `en_route -> arrived` by the system, through the same
    transition (history, outbox) as any other. An order no longer en route, or a race lost
    to another writer, is not an error: both are conflicts, and nothing is left to do. While
    the database is away the arrival is deferred to the next fix inside the geofence."""

    async def arrive(washer_id: int, order_id: int) -> None:
        async with session_factory() as session:
            try:
                await transition_order(
                    session, SYSTEM_ACTOR, order_id, OrderStatus.ARRIVED, reason="geofence"
                )
            except (TransitionDenied, Conflict) as refused:
                if refused.kind is not RefusalKind.CONFLICT:
                    raise
                log.info("geofence arrival of order %s not needed: %s", order_id, refused.message)
            except DATABASE_DOWN as exc:
                log.warning("geofence arrival of order %s deferred: %r", order_id, exc)
                raise ArrivalDeferred(order_id) from exc

    return arrive
