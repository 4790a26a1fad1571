"""The dashboard's KPIs in every process: seeded once from the database, then kept current
from the `ops` stream, and sent to this process's admin streams as `kpi.tick`.

Every process sees every order event on `ops`, so every process can hold the same board;
each one ticks only to its own subscribers (`Hub.deliver_local`), which gives each admin
exactly one tick per interval without electing a leader. A `reset` on `ops` (the history
could not cover an outage) reseeds the board from the database, so it never drifts.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.lifecycle import Runtime
from app.workers.outage import WorkerOutage
from domain.channels import OPS
from domain.events import KPI_TICK, WASHER_POSITION
from domain.kpi_snapshot import KpiSnapshot
from domain.kpis import (
    OPEN_STATUSES,
    DayTotals,
    KpiBoard,
    KpiSeed,
    OpenOrder,
    OrderChange,
    SlaRules,
    business_day_start,
    due_at,
)
from domain.orders import OrderStatus
from domain.roles import Role
from persistence import kpis as stored
from realtime.broker import BrokerUnavailable
from realtime.envelope import Control, Envelope
from realtime.presence import WASHERS_ONLINE
from realtime.subscriber import Subscriber

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

PROCESSES_KEY = "presence:processes"
"""Presence key where each process leaves its connection counts, summed for the KPI."""

INTERNAL_TRANSPORT = "internal"
"""The board's own subscription to `ops`: not a client, so not counted as a connection."""

_TERMINAL_FOR_TOTALS = (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.NO_SHOW)


async def load_seed(session: AsyncSession, day_start: datetime) -> KpiSeed:
    """A few queries, once: open orders, today's totals and assignment waits, and the newest
    event of every order that moved today (so a late copy of one is not counted twice)."""
    open_rows = await stored.orders_in(session, OPEN_STATUSES)
    open_orders = [
        OpenOrder(
            order_id=row.id,
            status=OrderStatus(row.status),
            seq=row.last_event_seq,
            due_at=due_at(row.created_at, row.scheduled_for),
            created_at=row.created_at,
            washer_id=row.washer_id,
            ever_assigned=row.assigned_at is not None,
        )
        for row in open_rows
    ]
    totals = DayTotals()
    finished = await stored.finished_since(session, day_start, _TERMINAL_FOR_TOTALS)
    for status, (count, revenue) in finished.items():
        if status == OrderStatus.COMPLETED:
            totals.completed, totals.revenue_cents = count, revenue
        elif status == OrderStatus.CANCELLED:
            totals.cancelled = count
        else:
            totals.no_show = count
    assigned = await stored.assignments_since(session, day_start)
    waits = [max(0.0, (at - created).total_seconds()) for created, at in assigned]
    return KpiSeed(
        open_orders=open_orders,
        today=totals,
        assign_waits=waits,
        applied_seqs=await stored.newest_seqs_since(session, day_start),
    )


class KpiService:
    """Owns this process's board: the `ops` consumer, the tick, and the snapshot."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self._runtime = runtime
        self._session_factory: async_sessionmaker[AsyncSession] = runtime.session_factory
        self._zone = ZoneInfo(settings.business_timezone)
        self._interval = settings.kpi_tick_seconds
        self._process_id = uuid.uuid4().hex[:12]
        self.board = KpiBoard(
            day_start=business_day_start(datetime.now(UTC), self._zone),
            sla=SlaRules(settings.sla_assign_seconds, settings.sla_arrival_seconds),
            zone=self._zone,
            zone_name=settings.business_timezone,
        )
        self._washers_online: set[int] = set()
        self._connections: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = asyncio.Event()
        self.outage = WorkerOutage("KPI board")

    @property
    def running(self) -> bool:
        """Whether both loops are alive (an outage must never end them)."""
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._follow_ops(), name="kpi-ops"),
            asyncio.create_task(self._tick_forever(), name="kpi-tick"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _follow_ops(self) -> None:
        """Subscribe first, seed second, then fold in the buffered and live events: the
        per-order `seq` drops whatever the seed already contained."""
        hub = self._runtime.hub
        outage = self.outage
        while True:
            subscriber = Subscriber(max_queue=100_000, transport=INTERNAL_TRANSPORT)
            delay = 1.0
            try:
                await hub.subscribe(subscriber, OPS.name)
                await self._reseed()
                outage.succeeded()
                async for item in subscriber:
                    if isinstance(item, Control):
                        if item.type == "reset":
                            log.warning("ops history lost; reseeding the KPI board")
                            await self._reseed()
                        continue
                    if isinstance(item, Envelope):
                        self.apply(item)
                log.warning(
                    "KPI ops subscription closed (%s); resubscribing", subscriber.close_reason
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away while seeding, or a bug: resubscribe
                delay = max(delay, outage.failed(exc))
            finally:
                await hub.disconnect(subscriber)
            await asyncio.sleep(delay)

    async def _reseed(self) -> None:
        day_start = business_day_start(datetime.now(UTC), self._zone)
        async with self._session_factory() as session:
            seed = await load_seed(session, day_start)
        self.board.roll_over(day_start)
        self.board.seed(seed)
        self.ready.set()

    def apply(self, envelope: Envelope) -> None:
        """One `ops` event: order events change the board, positions carry ETAs."""
        if envelope.event.startswith("order."):
            try:
                change = msgspec.convert(envelope.data, OrderChange, str_keys=True)
            except msgspec.ValidationError:
                log.warning("ignoring a malformed order event on ops: %s", envelope.id)
                return
            self.board.apply(change)
        elif envelope.event == WASHER_POSITION:
            for position in envelope.data.get("positions", ()):
                order_id = position.get("order_id")
                if order_id is not None:
                    self.board.observe_eta(int(order_id), position.get("eta_seconds"))

    async def snapshot(self) -> KpiSnapshot:
        """The board now, with washers online and connections as last seen (refreshed here)."""
        now = datetime.now(UTC)
        self.board.roll_over(business_day_start(now, self._zone))
        await self._refresh_presence()
        return self.board.snapshot(
            now, washers_online=self._washers_online, connections=self._connections
        )

    async def _refresh_presence(self) -> None:
        """Washers online and connections per transport across every process; while the
        presence store is unreachable the last known figures stand."""
        presence = self._runtime.presence
        local = self._runtime.hub.connections_by_transport()
        local.pop(INTERNAL_TRANSPORT, None)
        try:
            await presence.join(PROCESSES_KEY, self._process_id, local)
            washers = await presence.members(WASHERS_ONLINE)
            processes = await presence.members(PROCESSES_KEY)
        except BrokerUnavailable:
            return
        self._washers_online = {
            int(info["user_id"])
            for info in washers.values()
            if info.get("role") == Role.WASHER.value
        }
        totals = {"ws": 0, "sse": 0}
        for counts in processes.values():
            for transport, count in counts.items():
                totals[transport] = totals.get(transport, 0) + int(count)
        self._connections = totals

    async def _tick_forever(self) -> None:
        await self.ready.wait()
        while True:
            await asyncio.sleep(self._interval)
            try:
                snapshot = await self.snapshot()
                self._runtime.hub.deliver_local(OPS.name, KPI_TICK, msgspec.to_builtins(snapshot))
            except Exception:
                log.exception("KPI tick failed")


__all__ = ["KpiService", "load_seed"]
