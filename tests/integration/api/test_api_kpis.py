"""`GET /api/admin/kpis` against a known set of orders, on SQLite and PostgreSQL.

The board follows order events as the relay publishes them (a moment after each commit),
so each test waits until the snapshot shows the expected numbers, with a deadline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.settings import Settings
from tests.support.api import ApiUser, expect
from tests.support.polling import poll_until

Client = AsyncTestClient[Litestar]
DEADLINE_SECONDS = 15.0


async def kpis_when(
    api: Client, admin: ApiUser, ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The snapshot once `ready` holds for it; the last one seen if the deadline passes."""

    async def snapshot() -> dict[str, Any]:
        return dict(expect(await api.get("/api/admin/kpis", headers=admin.headers), 200))

    return await poll_until(snapshot, ready, within=DEADLINE_SECONDS)


async def known_orders(
    make_order: Any,
    advance: Any,
    move: Any,
    customer: ApiUser,
    washer: ApiUser,
    other_washer: ApiUser,
) -> dict[str, dict[str, Any]]:
    """One order of each kind: waiting, assigned, on the way, completed twice, cancelled.
    A washer works one order at a time: the finished ones first, the two active ones by two
    washers."""
    waiting = await make_order(customer)
    done = await make_order(customer)
    await advance(done["id"], washer, "completed")
    done_too = await make_order(customer)
    await advance(done_too["id"], washer, "completed")
    assigned = await make_order(customer)
    await advance(assigned["id"], washer, "assigned")
    on_the_way = await make_order(customer)
    await advance(on_the_way["id"], other_washer, "en_route")
    cancelled = await make_order(customer)
    expect(await move(customer, cancelled["id"], "cancelled"), 200)
    return {
        "waiting": waiting,
        "assigned": assigned,
        "on_the_way": on_the_way,
        "done": done,
        "done_too": done_too,
        "cancelled": cancelled,
    }


def expected_numbers(orders: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "orders_by_status": {
            "pending": 1,
            "assigned": 1,
            "en_route": 1,
            "arrived": 0,
            "in_progress": 0,
        },
        "active_orders": 3,
        "unassigned": 1,
        "today": {
            "completed": 2,
            "cancelled": 1,
            "no_show": 0,
            "revenue_cents": orders["done"]["price_cents"] + orders["done_too"]["price_cents"],
        },
        "time_to_assign_count": 4,
    }


def numbers(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "orders_by_status": body["orders_by_status"],
        "active_orders": body["active_orders"],
        "unassigned": body["unassigned"],
        "today": body["today"],
        "time_to_assign_count": body["time_to_assign"]["count"],
    }


async def test_the_snapshot_counts_a_known_set_of_orders(
    api: Client,
    admin: ApiUser,
    customer_a: ApiUser,
    washer: ApiUser,
    other_washer: ApiUser,
    make_order: Any,
    advance: Any,
    move: Any,
) -> None:
    orders = await known_orders(make_order, advance, move, customer_a, washer, other_washer)
    expected = expected_numbers(orders)
    body = await kpis_when(api, admin, lambda b: numbers(b) == expected)
    assert numbers(body) == expected
    assert body["longest_wait_seconds"] is not None and body["longest_wait_seconds"] >= 0
    # Every order here was assigned within seconds of its booking. (A p90 may sit below the
    # mean when one sample is far out, so the two are not compared with each other.)
    assert 0 <= body["time_to_assign"]["avg_seconds"] < 60
    assert 0 <= body["time_to_assign"]["p90_seconds"] < 60
    assert body["sla"]["breaches"] == 0
    assert body["washers"] == {"online": 0, "idle": 0, "busy": 0, "utilisation": None}
    assert body["timezone"] == "UTC"


async def test_a_restarted_process_seeds_the_same_numbers_from_the_database(
    api: Client,
    admin: ApiUser,
    customer_a: ApiUser,
    washer: ApiUser,
    other_washer: ApiUser,
    make_order: Any,
    advance: Any,
    move: Any,
    settings: Settings,
) -> None:
    orders = await known_orders(make_order, advance, move, customer_a, washer, other_washer)
    expected = expected_numbers(orders)
    assert numbers(await kpis_when(api, admin, lambda b: numbers(b) == expected)) == expected
    async with AsyncTestClient(app=create_app(settings)) as fresh:
        seeded = expect(await fresh.get("/api/admin/kpis", headers=admin.headers), 200)
    assert numbers(seeded) == expected


async def test_an_order_waiting_past_the_assign_threshold_is_a_breach(
    admin: ApiUser, customer_a: ApiUser, make_order: Any, settings: Settings
) -> None:
    await make_order(customer_a)
    strict = dataclasses.replace(settings, sla_assign_seconds=1)
    async with AsyncTestClient(app=create_app(strict)) as api:
        body = await kpis_when(api, admin, lambda b: b["sla"]["pending_too_long"] == 1)
    assert body["sla"]["pending_too_long"] == 1
    assert body["sla"]["breaches"] == 1
    assert body["sla"]["assign_threshold_seconds"] == 1
    assert body["longest_wait_seconds"] >= 1


async def test_only_admins_read_kpis_and_dashboard_settings(
    api: Client, customer_a: ApiUser, washer: ApiUser, admin: ApiUser
) -> None:
    for user in (customer_a, washer):
        for path in ("/api/admin/kpis", "/api/admin/dashboard"):
            response = await api.get(path, headers=user.headers)
            assert response.status_code == 403, (user.role, path, response.text)
            assert response.json()["code"] == "forbidden"
    assert (await api.get("/api/admin/kpis")).status_code == 401
    config = expect(await api.get("/api/admin/dashboard", headers=admin.headers), 200)
    area = config["area"]
    assert area["south"] < area["north"] and area["west"] < area["east"]
    assert config["stale_after_seconds"] > 0
    assert config["kpi_interval_seconds"] > 0
    assert config["currency"] == "USD"
