"""The KPI snapshot's wire shape: the dashboard and `kpi.tick` readers rely on these names."""

from __future__ import annotations

from datetime import UTC, date, datetime

import msgspec

from domain.kpi_snapshot import KpiSnapshot, SlaCounts, TimeToAssign, TodayCounts, WasherCounts


def test_a_snapshot_round_trips_through_json_with_its_field_names() -> None:
    snapshot = KpiSnapshot(
        generated_at=datetime(2026, 11, 23, 12, tzinfo=UTC),
        day=date(2026, 11, 23),
        timezone="UTC",
        orders_by_status={"pending": 1},
        active_orders=1,
        unassigned=1,
        longest_wait_seconds=30,
        washers=WasherCounts(online=2, idle=1, busy=1, utilisation=0.5),
        time_to_assign=TimeToAssign(count=0, avg_seconds=None, p90_seconds=None),
        avg_eta_seconds=None,
        sla=SlaCounts(
            pending_too_long=0,
            late_arrival=0,
            breaches=0,
            late_arrivals_today=0,
            assign_threshold_seconds=300,
            arrival_threshold_seconds=2700,
        ),
        today=TodayCounts(completed=0, cancelled=0, no_show=0, revenue_cents=0),
        connections={"admin": 1},
    )
    wire = msgspec.json.decode(msgspec.json.encode(snapshot))
    assert {"orders_by_status", "washers", "sla", "today", "connections"} <= set(wire)
    assert wire["washers"] == {"online": 2, "idle": 1, "busy": 1, "utilisation": 0.5}
    assert msgspec.json.decode(msgspec.json.encode(snapshot), type=KpiSnapshot) == snapshot
