"""The KPI snapshot: the numbers the operations dashboard reads.

Its own module because the shape is a public contract (`GET /api/admin/kpis` and every
`kpi.tick` carry it, and the AsyncAPI schema names it), while :mod:`domain.kpis` is about
keeping the numbers current; the two change for different reasons.
"""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class WasherCounts(msgspec.Struct):
    online: int
    idle: int
    busy: int
    utilisation: float | None


class TimeToAssign(msgspec.Struct):
    count: int
    avg_seconds: float | None
    p90_seconds: float | None


class SlaCounts(msgspec.Struct):
    pending_too_long: int
    late_arrival: int
    breaches: int
    late_arrivals_today: int
    assign_threshold_seconds: int
    arrival_threshold_seconds: int


class TodayCounts(msgspec.Struct):
    completed: int
    cancelled: int
    no_show: int
    revenue_cents: int


class KpiSnapshot(msgspec.Struct):
    """What `GET /api/admin/kpis` returns and each `kpi.tick` carries."""

    generated_at: datetime
    day: date
    timezone: str
    orders_by_status: dict[str, int]
    active_orders: int
    unassigned: int
    longest_wait_seconds: int | None
    washers: WasherCounts
    time_to_assign: TimeToAssign
    avg_eta_seconds: float | None
    sla: SlaCounts
    today: TodayCounts
    connections: dict[str, int]
