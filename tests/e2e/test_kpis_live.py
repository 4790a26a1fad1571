"""KPI ticks over real servers: two processes on one PostgreSQL and Redis agree, and each
admin stream gets its ticks from its own process, carrying what happened on the other."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from domain.roles import Role
from realtime.envelope import EPHEMERAL_ID
from tests.e2e.streams import ORDER_JOURNEY, advance, eventually, sse_stream
from tests.support.journey import book_order
from tests.support.live import SseReader, live_client


def ticks(reader: SseReader) -> list[dict[str, Any]]:
    return [data for _, event, data in reader.events if event == "kpi.tick"]


async def test_ticks_on_one_process_show_orders_and_washers_of_another(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    fast = {"KPI_TICK_SECONDS": "0.3"}
    one = start_server(postgres_url, clean_redis_url, **fast)
    two = start_server(postgres_url, clean_redis_url, **fast)
    admin = await make_account(one, postgres_url, Role.ADMIN)
    customer = await make_account(one, postgres_url, Role.CUSTOMER)
    washer = await make_account(one, postgres_url, Role.WASHER)
    api = http(one)

    async with AsyncExitStack() as stack:
        stream, _ = await stack.enter_async_context(
            sse_stream(two.base_url, "/api/admin/stream", admin.headers)
        )
        await stack.enter_async_context(live_client(one.ws_url, washer.token))

        async def latest() -> dict[str, Any] | None:
            seen = ticks(stream)
            return seen[-1]["data"] if seen else None

        async def washer_online_and_both_transports_counted() -> bool:
            tick = await latest()
            return (
                tick is not None
                and tick["washers"]["online"] == 1
                and tick["washers"]["idle"] == 1
                and tick["connections"].get("ws", 0) >= 1
                and tick["connections"].get("sse", 0) >= 1
            )

        await eventually(washer_online_and_both_transports_counted)

        order = await book_order(api, api, customer.headers, admin.headers)
        for status in ORDER_JOURNEY[:2]:
            await advance(api, admin.headers, washer, order["id"], status)

        async def busy_on_the_way() -> bool:
            tick = await latest()
            return (
                tick is not None
                and tick["orders_by_status"]["en_route"] == 1
                and tick["washers"]["busy"] == 1
                and tick["washers"]["utilisation"] == 1.0
                and tick["time_to_assign"]["count"] == 1
            )

        await eventually(busy_on_the_way)
        for status in ORDER_JOURNEY[2:]:
            await advance(api, admin.headers, washer, order["id"], status)

        async def completed_today() -> bool:
            tick = await latest()
            return (
                tick is not None
                and tick["today"]["completed"] == 1
                and tick["today"]["revenue_cents"] == order["price_cents"]
                and tick["active_orders"] == 0
            )

        await eventually(completed_today)

    seen = [(event_id, data) for event_id, event, data in stream.events if event == "kpi.tick"]
    assert all(data["id"] == EPHEMERAL_ID for _, data in seen), "ticks never take an ops offset"
    order_ids = [event_id for event_id, event, _ in stream.events if event.startswith("order.")]
    assert order_ids, "order events flowed on the same stream"
    # The same snapshot is served over REST by either process.
    rest_one = (await api.get("/api/admin/kpis", headers=admin.headers)).json()
    rest_two = (await http(two).get("/api/admin/kpis", headers=admin.headers)).json()
    for body in (rest_one, rest_two):
        assert body["today"]["completed"] == 1
        assert body["orders_by_status"] == {
            "pending": 0,
            "assigned": 0,
            "en_route": 0,
            "arrived": 0,
            "in_progress": 0,
        }
