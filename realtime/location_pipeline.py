"""The location pipeline: a washer's fix in, everything that must move because of it out.

Per fix: validate against the washer's previous fix, throttle (at most `max_hz`, keeping the
newest), update the geo index, publish position + ETA to the active order's `:track` channel,
queue the position for the coalesced `ops` feed, buffer a track point for the database, and
apply the geofence rule. No database query per fix: the washer's active job comes from a
cache the app refreshes, and track points are written in batches by the app's sink.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec

from domain.channels import OPS, track_channel
from domain.events import WASHER_POSITION
from domain.geo import (
    GEOFENCE_RADIUS_M,
    LatLng,
    eta_seconds,
    haversine_m,
    round_coordinate,
    within_geofence,
)
from domain.location import FixLimits, FixRejected, LocationFix, should_throttle, validate_fix
from domain.orders import TRACKABLE_STATUSES, OrderStatus
from realtime.broker import BrokerUnavailable
from realtime.fix_writer import FixWriter, SeparateFixWriter
from realtime.geo_index import GeoIndex
from realtime.hub import Hub

log = logging.getLogger(__name__)


class ActiveJob(msgspec.Struct, frozen=True):
    """The order a washer is working, as far as the pipeline needs to know."""

    order_id: int
    status: OrderStatus
    destination: LatLng


class ActiveJobs(Protocol):
    async def current(self, washer_id: int) -> ActiveJob | None: ...

    def forget(self, washer_id: int) -> None: ...


class TrackSink(Protocol):
    def add(self, washer_id: int, order_id: int | None, fix: LocationFix) -> None:
        """Buffer a track point; must not block (the sink writes batches on its own)."""


ArrivalHandler = Callable[[int, int], Awaitable[None]]
"""Called with (washer id, order id) once when a washer en route enters the geofence."""


class ArrivalDeferred(Exception):
    """An arrival handler could not record the arrival now (its database is away): not a
    failure to report, the next fix inside the geofence tries again."""


class FixOutcome(msgspec.Struct, frozen=True):
    status: str
    """"accepted", or "coalesced" when throttling kept it as the newest pending fix."""
    eta_seconds: int | None = None
    order_id: int | None = None


class LocationPipeline:
    def __init__(
        self,
        hub: Hub,
        geo: GeoIndex,
        jobs: ActiveJobs,
        sink: TrackSink,
        on_arrival: ArrivalHandler,
        *,
        limits: FixLimits | None = None,
        max_hz: float = 5.0,
        ops_interval: float = 1.0,
        geofence_radius_m: float = GEOFENCE_RADIUS_M,
        writer: FixWriter | None = None,
    ) -> None:
        self._hub = hub
        self._geo = geo
        self._writer = writer or SeparateFixWriter(geo, hub)
        self._jobs = jobs
        self._sink = sink
        self._on_arrival = on_arrival
        self._limits = limits or FixLimits()
        self._max_hz = max_hz
        self._ops_interval = ops_interval
        self._radius = geofence_radius_m
        self._last_fix: dict[int, LocationFix] = {}
        self._last_accepted_at: dict[int, datetime] = {}
        self._pending: dict[int, LocationFix] = {}
        self._pending_flush: dict[int, asyncio.TimerHandle] = {}
        self._ops_positions: dict[int, dict[str, Any]] = {}
        self._arrival_fired: dict[int, int] = {}
        """Per washer, the order whose arrival this process last fired: a washer drives one
        order at a time, so this holds at most one entry per washer, however long it runs."""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ops_task: asyncio.Task[None] | None = None
        self.accepted = 0
        self.coalesced = 0

    @property
    def remembered_arrivals(self) -> int:
        """How many fired arrivals the pipeline remembers (at most one per washer)."""
        return len(self._arrival_fired)

    def start(self) -> None:
        self._ops_task = asyncio.get_running_loop().create_task(self._publish_ops_positions())

    async def stop(self) -> None:
        for handle in self._pending_flush.values():
            handle.cancel()
        tasks = [*self._tasks, *([self._ops_task] if self._ops_task else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _previous(self, washer_id: int) -> LocationFix | None:
        previous = self._last_fix.get(washer_id)
        if previous is None:
            with contextlib.suppress(BrokerUnavailable):
                previous = await self._geo.last_fix(washer_id)
        return previous

    async def ingest(
        self, washer_id: int, fix: LocationFix, now: datetime | None = None
    ) -> FixOutcome:
        """Validate and process one live fix; raises `domain.location.FixRejected`."""
        now = now or datetime.now(UTC)
        previous = self._pending.get(washer_id) or await self._previous(washer_id)
        validate_fix(fix, previous, now=now, limits=self._limits)
        if should_throttle(self._last_accepted_at.get(washer_id), now, max_hz=self._max_hz):
            self._pending[washer_id] = fix
            self._schedule_flush(washer_id, now)
            self.coalesced += 1
            return FixOutcome("coalesced")
        return await self._process(washer_id, fix, now)

    async def ingest_batch(
        self, washer_id: int, fixes: list[LocationFix], now: datetime | None = None
    ) -> tuple[list[FixOutcome | str], FixOutcome | None]:
        """Fixes a phone stored while offline, oldest first: each is validated and kept as a
        track point; only the newest moves the washer, the track and the geofence."""
        now = now or datetime.now(UTC)
        previous = await self._previous(washer_id)
        results: list[FixOutcome | str] = []
        newest: LocationFix | None = None
        for fix in sorted(fixes, key=lambda f: f.ts):
            try:
                validate_fix(fix, previous, now=now, limits=self._limits)
            except FixRejected as rejected:
                results.append(rejected.reason)
                continue
            previous = newest = fix
            results.append(FixOutcome("accepted"))
        if newest is None:
            return results, None
        job = await self._jobs.current(washer_id)  # the stored path belongs to today's job
        order_id = job.order_id if job else None
        for fix, result in zip(sorted(fixes, key=lambda f: f.ts), results, strict=True):
            if isinstance(result, FixOutcome) and fix is not newest:
                self._sink.add(washer_id, order_id, fix)
        return results, await self._process(washer_id, newest, now)

    def _schedule_flush(self, washer_id: int, now: datetime) -> None:
        if washer_id in self._pending_flush:
            return
        last = self._last_accepted_at.get(washer_id, now)
        delay = max(0.0, 1.0 / self._max_hz - (now - last).total_seconds())
        loop = asyncio.get_running_loop()
        self._pending_flush[washer_id] = loop.call_later(delay, self._flush_pending, washer_id)

    def _flush_pending(self, washer_id: int) -> None:
        self._pending_flush.pop(washer_id, None)
        fix = self._pending.pop(washer_id, None)
        if fix is None:
            return
        task = asyncio.get_running_loop().create_task(
            self._process(washer_id, fix, datetime.now(UTC))
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, washer_id: int, fix: LocationFix, now: datetime) -> FixOutcome:
        self._last_fix[washer_id] = fix
        self._last_accepted_at[washer_id] = now
        self.accepted += 1
        job = await self._jobs.current(washer_id)
        order_id = job.order_id if job else None
        self._sink.add(washer_id, order_id, fix)
        position: dict[str, Any] = {
            "washer_id": washer_id,
            "lat": round_coordinate(fix.lat),
            "lng": round_coordinate(fix.lng),
            "heading": fix.heading,
            "speed": fix.speed,
            "ts": fix.ts.isoformat(),
            "order_id": order_id,
        }
        self._ops_positions[washer_id] = position
        if job is None or job.status not in TRACKABLE_STATUSES:
            await self._writer.write(washer_id, fix, None, None)
            return FixOutcome("accepted", None, order_id)
        distance = haversine_m(fix.position, job.destination)
        eta = 0 if job.status is OrderStatus.ARRIVED else eta_seconds(distance, fix.speed)
        position["eta_seconds"] = eta
        track = {
            **position,
            "accuracy": fix.accuracy,
            "distance_m": round(distance, 1),
            "status": job.status.value,
        }
        await self._writer.write(washer_id, fix, track_channel(job.order_id).name, track)
        await self._geofence(washer_id, job, fix)
        return FixOutcome("accepted", eta, order_id)

    async def _geofence(self, washer_id: int, job: ActiveJob, fix: LocationFix) -> None:
        if job.status is not OrderStatus.EN_ROUTE:
            return
        if self._arrival_fired.get(washer_id) == job.order_id:
            return  # fired already; the job cache has not caught up with the new status yet
        if not within_geofence(fix.position, job.destination, self._radius):
            return
        self._arrival_fired[washer_id] = job.order_id
        try:
            await self._on_arrival(washer_id, job.order_id)
        except ArrivalDeferred:
            self._arrival_fired.pop(washer_id, None)
            return  # the job stays known, so the track goes on meanwhile
        except Exception:
            self._arrival_fired.pop(washer_id, None)
            log.exception("geofence arrival of order %s failed", job.order_id)
            return
        self._jobs.forget(washer_id)  # the next fix reads the order as arrived

    async def _publish_ops_positions(self) -> None:
        """Every washer's newest position at most once per interval, as one `ops` event."""
        while True:
            await asyncio.sleep(self._ops_interval)
            if not self._ops_positions:
                continue
            batch, self._ops_positions = list(self._ops_positions.values()), {}
            with contextlib.suppress(BrokerUnavailable):
                await self._hub.publish(OPS.name, WASHER_POSITION, {"positions": batch})
