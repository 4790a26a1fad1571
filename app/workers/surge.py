"""The surge computation: every `SURGE_INTERVAL_SECONDS`, each zone's demand and supply, its
multiplier by `domain.surge`, written to `surge_zone` and streamed.

One process computes at a time across pods: each computation runs in a transaction holding a
PostgreSQL advisory lock (as dispatch does), and the others skip that turn, so every pod
prices and streams the same numbers (embedded mode has one process and no lock). What it
publishes: `surge.zone` on each active zone's lossy `zone:{cell}` channel (latest wins,
history 1, so a new subscriber gets the current price at once) and one coalesced
`surge.zones` on `ops` for the admins' heatmap.

Demand is the orders still waiting for a washer plus the bookings of the last
`SURGE_DEMAND_WINDOW_MINUTES`; supply the online, idle washers with a fresh fix in the zone or
next to it. A zone is active while it has demand, washers, or a multiplier or admin control
other than none; a zone that goes quiet is streamed once more (at 1.0x) and then rests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.workers.outage import WorkerOutage
from domain.channels import OPS, zone_channel
from domain.dispatch import is_stale
from domain.event_data import ZonePriceData, ZonesData, as_data
from domain.events import SURGE_ZONE, SURGE_ZONES
from domain.geo import LatLng, ServiceArea, haversine_m
from domain.kpis import business_day_start
from domain.surge import BASE_PCT, SurgeRules, ZoneControl, ZoneSurge, as_factor, next_surge
from domain.zones import nearest_hotspot, supply_by_zone, zone_boundary, zone_of
from persistence import kpis, pricing
from persistence.locks import take_turn
from persistence.models import SurgeZone
from persistence.orders import demand_by_zone
from persistence.washer_availability import idle_washers
from realtime.broker import BrokerUnavailable
from realtime.geo_index import GeoIndex
from realtime.hub import Hub

log = logging.getLogger(__name__)
SURGE_LOCK_KEY = 0x5355_5247  # "SURG"
MAX_WASHERS = 5000
"""Washers read from the geo index per computation, at most."""

ZONE_MULTIPLIER = Gauge(
    "washline_surge_multiplier", "The surge multiplier of each active zone", ["zone"]
)


class SurgeComputer:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        geo: GeoIndex,
        hub: Hub,
        *,
        rules: SurgeRules,
        area: ServiceArea,
        resolution: int,
        demand_window: timedelta,
        timezone: str = "UTC",
        uses_advisory_lock: bool,
        interval: float,
    ) -> None:
        self._session_factory = session_factory
        self._geo = geo
        self._hub = hub
        self._rules = rules
        self._area = area
        self._resolution = resolution
        self._window = demand_window
        self._timezone = ZoneInfo(timezone)
        self._uses_advisory_lock = uses_advisory_lock
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self.outage = WorkerOutage("surge", cap=max(5.0, interval))
        self.computations = 0
        self._was_active = True  # a fresh process tells the admins once, even if quiet

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="surge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            delay = self._interval
            try:
                await self.compute()
                self.outage.succeeded()
            except BrokerUnavailable:
                log.warning("surge waits for the geo index or the broker")
            except Exception as exc:
                delay = max(delay, self.outage.failed(exc))
            await asyncio.sleep(delay)

    async def compute(self, now: datetime | None = None) -> list[ZonePriceData] | None:
        """One computation; ``None`` when another process holds the turn."""
        now = now or datetime.now(UTC)
        async with self._session_factory() as session, session.begin():
            if self._uses_advisory_lock and not await take_turn(session, SURGE_LOCK_KEY):
                return None
            demand = await self._demand(session, now)
            washer_zones = await self._idle_washer_zones(session, now)
            rows = {row.zone: row for row in await pricing.zones(session)}
            active = (
                set(demand)
                | set(washer_zones)
                | {zone for zone, row in rows.items() if _is_active(row)}
            )
            supply = supply_by_zone(washer_zones, active)
            states: dict[str, ZoneSurge] = {}
            for zone in active:
                row = rows.get(zone)
                if row is None:
                    row = SurgeZone(zone=zone, multiplier_pct=BASE_PCT, updated_at=now)
                    session.add(row)
                    rows[zone] = row
                control = ZoneControl(cap_pct=row.cap_pct, pin_pct=row.pin_pct)
                current = ZoneSurge(row.multiplier_pct or BASE_PCT, row.since)
                state = next_surge(
                    current,
                    demand.get(zone, 0),
                    supply[zone],
                    rules=self._rules,
                    control=control,
                    now=now,
                )
                row.multiplier_pct, row.since = state.multiplier_pct, state.since
                row.demand, row.supply, row.updated_at = demand.get(zone, 0), supply[zone], now
                states[zone] = state
        self.computations += 1
        prices = self._prices(rows, states, now)
        await self._publish(prices, now)
        return prices

    async def _demand(self, session: AsyncSession, now: datetime) -> Counter[str]:
        """Orders waiting for a washer and bookings of the window, each counted once.

        Counted per zone by the database: the window holds every booking of the last
        minutes, so fetching them row by row cost this process time in step with the
        bookings, every interval. Only orders booked before zones existed (no `zone`) are
        fetched, to be placed by their coordinates."""
        counts, unzoned = await demand_by_zone(session, now - self._window)
        for lat, lng in unzoned:
            counts[zone_of(LatLng(lat, lng), self._resolution)] += 1
        return counts

    async def _idle_washer_zones(self, session: AsyncSession, now: datetime) -> list[str]:
        """The zone of every online, idle washer whose last fix is fresh."""
        idle = await idle_washers(session)
        if not idle:
            return []
        center = self._area.center
        corner = LatLng(self._area.north, self._area.east)
        radius = haversine_m(center, corner) + 5000
        return [
            zone_of(n.fix.position, self._resolution)
            for n in await self._geo.nearby(center, radius, limit=MAX_WASHERS)
            if n.washer_id in idle and not is_stale(n.fix.ts, now)
        ]

    def _prices(
        self, rows: dict[str, SurgeZone], states: dict[str, ZoneSurge], now: datetime
    ) -> list[ZonePriceData]:
        multipliers = {zone: state.multiplier_pct for zone, state in states.items()}
        stamp = now.isoformat()
        prices = []
        for zone in sorted(states):
            row = rows[zone]
            pct = states[zone].multiplier_pct
            cap = row.cap_pct
            prices.append(
                ZonePriceData(
                    zone=zone,
                    multiplier=as_factor(pct),
                    multiplier_pct=pct,
                    demand=row.demand,
                    supply=row.supply,
                    capped=cap is not None and pct >= cap,
                    pinned=row.pin_pct is not None,
                    computed_at=stamp,
                    boundary=zone_boundary(zone),
                    hotspot=nearest_hotspot(zone, multipliers),
                )
            )
        return prices

    async def _publish(self, prices: list[ZonePriceData], now: datetime) -> None:
        """Each active zone on its channel and all of them on `ops`; a quiet city (no
        active zone now, nor at the last computation) publishes nothing."""
        if not prices and not self._was_active:
            return
        self._was_active = bool(prices)
        for price in prices:
            ZONE_MULTIPLIER.labels(zone=price.zone).set(price.multiplier)
            await self._hub.publish(zone_channel(price.zone).name, SURGE_ZONE, as_data(price))
        average, revenue = await self._today(now)
        summary = ZonesData(
            zones=prices,
            computed_at=now.isoformat(),
            average_multiplier=average,
            surge_revenue_cents_today=revenue,
        )
        await self._hub.publish(OPS.name, SURGE_ZONES, as_data(summary))

    async def _today(self, now: datetime) -> tuple[float, int]:
        """The mean surge of today's bookings and what surge added to today's completed
        orders, for the dashboard's tiles (two aggregate queries)."""
        day_start = business_day_start(now, self._timezone)
        async with self._session_factory() as session:
            average = await kpis.average_surge_since(session, day_start)
            revenue = await kpis.surge_revenue_since(session, day_start)
        return as_factor(round(average or BASE_PCT)), revenue


def _is_active(row: SurgeZone) -> bool:
    """Still worth computing: it had load, surges, or an admin controls it."""
    return bool(
        row.demand
        or row.supply
        or row.multiplier_pct != BASE_PCT
        or row.cap_pct is not None
        or row.pin_pct is not None
    )
