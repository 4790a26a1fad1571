"""The dashboard's REST helpers: the latest order events of `ops` (its feed's backfill) and
who an order's customer is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect
from tests.support.polling import poll_until

Client = AsyncTestClient[Litestar]


async def test_recent_events_are_the_newest_order_events_oldest_first(
    api: Client,
    admin: ApiUser,
    customer_a: ApiUser,
    make_order: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    orders = [await make_order(customer_a) for _ in range(3)]
    ids = [order["id"] for order in orders]

    async def recent() -> list[dict[str, Any]]:
        response = await api.get("/api/admin/events/recent", headers=admin.headers)
        result: list[dict[str, Any]] = expect(response, 200)
        return result

    events = await poll_until(recent, lambda evs: {e["data"]["order_id"] for e in evs} >= set(ids))
    assert [e["data"]["order_id"] for e in events if e["event"] == "order.created"] == ids
    assert {e["event"] for e in events} <= {"order.created", "order.status"}
    assert all(e["id"] and e["ts"] for e in events)

    newest = expect(await api.get("/api/admin/events/recent?limit=2", headers=admin.headers), 200)
    assert newest == events[-2:]
    assert (
        await api.get("/api/admin/events/recent?limit=0", headers=admin.headers)
    ).status_code == 400


async def test_an_admin_reads_who_a_customer_is_others_may_not(
    api: Client, admin: ApiUser, customer_a: ApiUser, washer: ApiUser
) -> None:
    person = expect(await api.get(f"/api/admin/users/{customer_a.id}", headers=admin.headers), 200)
    assert person["id"] == customer_a.id and person["role"] == "customer"
    assert person["full_name"] and person["email"] == customer_a.email
    missing = await api.get("/api/admin/users/999999", headers=admin.headers)
    assert missing.status_code == 404
    for caller in (customer_a, washer):
        for path in (f"/api/admin/users/{customer_a.id}", "/api/admin/events/recent"):
            assert (await api.get(path, headers=caller.headers)).status_code == 403
    assert (await api.get("/api/admin/events/recent")).status_code == 401
