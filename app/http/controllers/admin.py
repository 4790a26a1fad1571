"""What the operations dashboard loads over REST: its configuration and the KPI snapshot
(the same snapshot every `kpi.tick` on `ops` carries)."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Controller, get

from app.dependencies import Injected
from app.http.answers import KPIS_LOADING
from app.http.auth import admin_only
from app.http.errors import ApiError
from app.settings import Settings
from app.workers.kpis import KpiService
from domain.dispatch import STALE_AFTER
from domain.geo import ServiceArea
from domain.kpi_snapshot import KpiSnapshot

SEED_WAIT_SECONDS = 10.0
"""A request right after start-up waits this long for the board's first seed."""


class DashboardConfig(msgspec.Struct):
    area: ServiceArea
    stale_after_seconds: int
    kpi_interval_seconds: float
    timezone: str
    currency: str
    """ISO 4217 code: the dashboard formats every amount in it."""


class AdminController(Controller):
    path = "/api/admin"
    tags = ["admin"]
    guards = [admin_only]

    @get(
        "/kpis",
        summary="Operations KPIs now (what each kpi.tick on ops carries)",
        refuses=(KPIS_LOADING,),
    )
    async def kpis(self, kpis: Injected[KpiService]) -> KpiSnapshot:
        service = kpis
        try:
            await asyncio.wait_for(service.ready.wait(), SEED_WAIT_SECONDS)
        except TimeoutError:
            raise ApiError(503, "kpis_unavailable", "KPIs are still loading; retry") from None
        return await service.snapshot()

    @get("/dashboard", summary="The dashboard's settings: area, staleness, tick rate, currency")
    async def dashboard(self, settings: Settings) -> DashboardConfig:
        return DashboardConfig(
            area=settings.service_area,
            stale_after_seconds=int(STALE_AFTER.total_seconds()),
            kpi_interval_seconds=settings.kpi_tick_seconds,
            timezone=settings.business_timezone,
            currency=settings.currency,
        )
