"""A real Prometheus (Debian's) scrapes two Washline processes on PostgreSQL and Redis while
orders are booked and assigned: every rule loads and evaluates, every recorded series and
every dashboard query returns data, the per-process series come from both processes, and on
this healthy system no alert fires."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from domain.roles import Role
from tests.e2e.streams import advance
from tests.support.journey import book_order
from tests.support.live import live_client
from tests.support.polling import poll_until
from tests.support.prometheus import (
    ThrowawayPrometheus,
    dashboard_queries,
    rule_groups,
    write_rule_file,
)

pytestmark = pytest.mark.e2e

RECORDED = [
    rule["record"]
    for group in rule_groups()["groups"]
    for rule in group["rules"]
    if "record" in rule
]
ALERTS = [
    (rule["alert"], rule["expr"])
    for group in rule_groups()["groups"]
    for rule in group["rules"]
    if "alert" in rule
]


@pytest.fixture
def prometheus_for(tmp_path: Path) -> Iterator[Any]:
    started: list[ThrowawayPrometheus] = []

    def start(targets: list[str]) -> ThrowawayPrometheus:
        rules = write_rule_file(tmp_path, interval="1s")
        server = ThrowawayPrometheus(tmp_path, targets, rules)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


async def _query(prometheus: ThrowawayPrometheus, expr: str) -> list[dict[str, Any]]:
    return await asyncio.to_thread(prometheus.query, expr)


async def test_rules_and_dashboard_queries_evaluate_against_two_live_processes(
    start_server: Any,
    make_account: Any,
    http: Any,
    postgres_url: str,
    clean_redis_url: str,
    prometheus_for: Any,
) -> None:
    one, two = (
        start_server(postgres_url, clean_redis_url, PROBE_INTERVAL_SECONDS="0.5") for _ in range(2)
    )
    targets = [urlsplit(server.base_url).netloc for server in (one, two)]
    prometheus = prometheus_for(targets)
    admin = await make_account(one, postgres_url, Role.ADMIN)
    washer = await make_account(one, postgres_url, Role.WASHER)
    customer = await make_account(one, postgres_url, Role.CUSTOMER)
    api = http(one)

    async with AsyncExitStack() as stack:
        watcher = await stack.enter_async_context(live_client(two.ws_url, admin.token))
        assert (await watcher.subscribe("ops"))["ok"] is True
        for _ in range(3):
            booking = http(one)  # book_order names its package after the client
            order = await book_order(booking, booking, customer.headers, admin.headers)
        await advance(api, admin.headers, washer, order["id"], "assigned")
        await watcher.wait_events("ops", 4)

        async def scraped() -> list[dict[str, Any]]:
            # Enough samples of both processes for every rate() and for the probe.
            return await _query(
                prometheus,
                'count_over_time(washline_probe_received_total{job="washline"}[1m]) >= 5',
            )

        assert len(await poll_until(scraped, lambda r: len(r) == 2, within=60)) == 2

        async def all_recorded() -> list[str]:
            return [name for name in RECORDED if not await _query(prometheus, name)]

        missing = await poll_until(all_recorded, lambda m: not m, within=30)
        assert not missing, f"recording rules without a series: {missing}"

        rules = await asyncio.to_thread(prometheus.rules)
        assert {r["health"] for r in rules} == {"ok"}, [r for r in rules if r["health"] != "ok"]
        assert len(rules) == len(RECORDED) + len(ALERTS)

        empty = [
            (title, expr)
            for title, expr in dashboard_queries()
            if not await _query(prometheus, expr)
        ]
        assert not empty, f"dashboard queries with no series: {empty}"

        firing = {name: await _query(prometheus, expr) for name, expr in ALERTS}
        assert {name: r for name, r in firing.items() if r} == {}

        per_process = {
            "sum by (instance) (rate(washline_probe_received_total[5m])) > 0": 2,
            'washline_dependency_up{dependency="database"} == 1': 2,
            'washline_dependency_up{dependency="redis"} == 1': 2,
            'sum by (instance) (washline_realtime_connections{transport="ws"}) > 0': 1,
        }
        for expr, count in per_process.items():
            assert len(await _query(prometheus, expr)) == count, expr
        booked = await _query(prometheus, "sum(washline_orders_created_total)")
        assert float(booked[0]["value"][1]) == 3
        assigned = await _query(prometheus, "sum(washline_dispatch_time_to_assign_seconds_count)")
        assert float(assigned[0]["value"][1]) == 1
