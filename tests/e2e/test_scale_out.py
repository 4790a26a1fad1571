"""Three server processes on one Redis and one PostgreSQL behave as one: an order journey
driven through one of them reaches every client of every process exactly once, in order."""

from __future__ import annotations

import itertools
from contextlib import AsyncExitStack
from typing import Any

from domain.roles import Role
from realtime.envelope import parse_id
from tests.e2e.streams import (
    ORDER_JOURNEY,
    advance,
    event_ids,
    eventually,
    settle,
    sse_ids,
    sse_stream,
    wait_sse,
)
from tests.support.journey import book_order
from tests.support.live import SseReader, live_client

ALL_ORDER_IDS = ["1", "2", "3", "4", "5", "6"]
STATUSES = ["pending", *ORDER_JOURNEY]


def _strictly_increasing(ids: list[str]) -> bool:
    positions = [parse_id(i) for i in ids]
    same_epoch = len({p.epoch for p in positions}) <= 1
    return same_epoch and all(a.offset < b.offset for a, b in itertools.pairwise(positions))


def _ops_ids_of(events: list[dict[str, Any]], order_id: int) -> list[str]:
    return [
        str(e["id"])
        for e in events
        if e["event"].startswith("order.") and e["data"].get("order_id") == order_id
    ]


def _sse_envelopes(reader: SseReader, channel: str) -> list[dict[str, Any]]:
    return [data for _, _, data in reader.events if data.get("channel") == channel]


async def test_a_journey_through_one_process_reaches_every_client_of_every_process(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    one, two, three = (start_server(postgres_url, clean_redis_url) for _ in range(3))
    admin = await make_account(one, postgres_url, Role.ADMIN)
    washer = await make_account(one, postgres_url, Role.WASHER)
    customer = await make_account(one, postgres_url, Role.CUSTOMER)
    api = http(one)
    customer_user, washer_user = f"user:{customer.id}", f"user:{washer.id}"

    async with AsyncExitStack() as stack:
        enter = stack.enter_async_context
        customer_ws = await enter(live_client(one.ws_url, customer.token))
        washer_ws = await enter(live_client(two.ws_url, washer.token))
        admin_ws = await enter(live_client(three.ws_url, admin.token))
        admin_sse, _ = await enter(sse_stream(one.base_url, "/api/admin/stream", admin.headers))
        customer_me, _ = await enter(sse_stream(two.base_url, "/api/me/events", customer.headers))
        washer_me, _ = await enter(sse_stream(three.base_url, "/api/me/events", washer.headers))
        for client, channel in (
            (customer_ws, customer_user),
            (washer_ws, washer_user),
            (admin_ws, "ops"),
        ):
            assert (await client.subscribe(channel))["ok"] is True

        async def sse_streams_open() -> bool:
            return all(r.status == 200 for r in (admin_sse, customer_me, washer_me))

        await eventually(sse_streams_open)
        # An SSE stream subscribes just after its headers; a warm-up order's notification
        # on the customer's stream shows the streams opened with it are live.
        warm_up_api = http(one)  # book_order names its package after the client
        await book_order(warm_up_api, warm_up_api, customer.headers, admin.headers)

        async def customer_stream_live() -> bool:
            return bool(sse_ids(customer_me, customer_user))

        await eventually(customer_stream_live, timeout=20)

        order = await book_order(api, api, customer.headers, admin.headers)
        channel = f"order:{order['id']}"
        order_sse, _ = await enter(
            sse_stream(
                three.base_url,
                f"/api/orders/{order['id']}/events",
                {**customer.headers, "Last-Event-ID": f"{channel}@0"},
            )
        )
        assert (await customer_ws.subscribe(channel, since="0"))["ok"] is True
        assert (await admin_ws.subscribe(channel, since="0"))["ok"] is True
        await wait_sse(order_sse, channel, 1)

        for status in ORDER_JOURNEY:
            await advance(api, admin.headers, washer, order["id"], status)
            if status == "assigned":
                assert (await washer_ws.subscribe(channel, since="0"))["ok"] is True

        for client in (customer_ws, washer_ws, admin_ws):
            await client.wait_events(channel, len(ALL_ORDER_IDS), timeout=20)
        await wait_sse(order_sse, channel, len(ALL_ORDER_IDS))

        async def ops_complete() -> bool:
            ws_ids = _ops_ids_of(admin_ws.events("ops"), order["id"])
            sse_ids_ = _ops_ids_of(_sse_envelopes(admin_sse, "ops"), order["id"])
            return len(ws_ids) >= len(STATUSES) and len(sse_ids_) >= len(STATUSES)

        await eventually(ops_complete, timeout=20)

        async def notifications_agree() -> bool:
            return bool(sse_ids(customer_me, customer_user)) and event_ids(
                customer_ws.events(customer_user)
            ) == sse_ids(customer_me, customer_user)

        await eventually(notifications_agree, timeout=20)

        async def washer_notifications_agree() -> bool:
            return bool(sse_ids(washer_me, washer_user)) and event_ids(
                washer_ws.events(washer_user)
            ) == sse_ids(washer_me, washer_user)

        await eventually(washer_notifications_agree, timeout=20)
        for client in (customer_ws, washer_ws, admin_ws):
            await settle(client)

    for client in (customer_ws, washer_ws, admin_ws):
        events = client.events(channel)
        assert event_ids(events) == ALL_ORDER_IDS
        assert [e["data"]["status"] for e in events] == STATUSES
    assert sse_ids(order_sse, channel) == ALL_ORDER_IDS

    ops_ws = [e for e in admin_ws.events("ops") if e["data"].get("order_id") == order["id"]]
    ops_sse = [
        e for e in _sse_envelopes(admin_sse, "ops") if e["data"].get("order_id") == order["id"]
    ]
    assert [e["data"]["status"] for e in ops_ws if e["event"].startswith("order.")] == STATUSES
    assert _ops_ids_of(ops_ws, order["id"]) == _ops_ids_of(ops_sse, order["id"])
    assert _strictly_increasing(_ops_ids_of(ops_ws, order["id"]))

    customer_notes = event_ids(customer_ws.events(customer_user))
    assert customer_notes == sse_ids(customer_me, customer_user)
    assert _strictly_increasing(customer_notes)
    washer_notes = sse_ids(washer_me, washer_user)
    assert washer_notes and _strictly_increasing(washer_notes)
    assert event_ids(washer_ws.events(washer_user)) == washer_notes
    for client in (customer_ws, washer_ws, admin_ws):
        assert not any(f.get("type") in ("reset", "error") for f in client.frames)
