"""The admin's live `ops` stream across a Redis restart: an order that moved while Redis was
down is published as Redis comes back, and both the SSE stream and the WebSocket get it;
later moves arrive live again, with no hand from the client."""

from __future__ import annotations

from typing import Any

from domain.roles import Role
from tests.e2e.streams import advance, eventually, settle, sse_stream
from tests.support.journey import book_order
from tests.support.live import live_client
from tests.support.services import ThrowawayRedis


def _statuses(envelopes: list[dict[str, Any]], order_id: int) -> list[str]:
    return [
        e["data"]["status"]
        for e in envelopes
        if e.get("event", "").startswith("order.") and e["data"].get("order_id") == order_id
    ]


async def test_the_ops_stream_gets_what_moved_while_redis_was_down(
    start_server: Any, make_account: Any, http: Any, postgres_url: str
) -> None:
    with ThrowawayRedis() as redis:
        server = start_server(postgres_url, redis.url)
        admin = await make_account(server, postgres_url, Role.ADMIN)
        washer = await make_account(server, postgres_url, Role.WASHER)
        customer = await make_account(server, postgres_url, Role.CUSTOMER)
        api = http(server)
        order = await book_order(api, api, customer.headers, admin.headers)

        async with (
            live_client(server.ws_url, admin.token) as admin_ws,
            sse_stream(server.base_url, "/api/admin/stream", admin.headers) as (admin_sse, _),
        ):
            assert (await admin_ws.subscribe("ops"))["ok"] is True

            def sse_ops() -> list[dict[str, Any]]:
                return [data for _, _, data in admin_sse.events if data.get("channel") == "ops"]

            def seen(status: str) -> bool:
                return status in _statuses(admin_ws.events("ops"), order["id"]) and (
                    status in _statuses(sse_ops(), order["id"])
                )

            async def assigned_seen() -> bool:
                return seen("assigned")

            await advance(api, admin.headers, washer, order["id"], "assigned")
            await eventually(assigned_seen, timeout=20)

            redis.stop()

            async def redis_reported_down() -> bool:
                body = (await api.get("/ready")).json()
                return str(body["checks"].get("redis", "")).startswith("down")

            await eventually(redis_reported_down, timeout=20)
            await advance(api, admin.headers, washer, order["id"], "en_route")
            redis.start()
            # The commit wakes the relay at once: both moves reach the new Redis before this
            # process's pub/sub link (still in its reconnect backoff) has re-subscribed.
            await advance(api, admin.headers, washer, order["id"], "arrived")

            async def arrived_seen() -> bool:
                return seen("arrived")

            await eventually(arrived_seen, timeout=30)

            # Live fan-out resumed by itself: a later move arrives too.
            await advance(api, admin.headers, washer, order["id"], "in_progress")

            async def in_progress_seen() -> bool:
                return seen("in_progress")

            await eventually(in_progress_seen, timeout=30)
            await settle(admin_ws)

        expected = ["assigned", "en_route", "arrived", "in_progress"]
        assert _statuses(admin_ws.events("ops"), order["id"]) == expected
        assert _statuses(sse_ops(), order["id"]) == expected
