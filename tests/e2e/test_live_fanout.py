"""Live events reach real clients of real servers, across processes, and resume gaplessly."""

from __future__ import annotations

import asyncio
from typing import Any

from domain.roles import Role
from tests.support.journey import book_order, move
from tests.support.live import SseReader, live_client


async def test_a_client_on_one_server_receives_what_happens_through_another(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server_a = start_server(postgres_url, clean_redis_url)
    server_b = start_server(postgres_url, clean_redis_url)
    admin = await make_account(server_a, postgres_url, Role.ADMIN)
    customer = await make_account(server_a, postgres_url, Role.CUSTOMER)
    api_a = http(server_a)
    order = await book_order(api_a, api_a, customer.headers, admin.headers)

    async with live_client(server_b.ws_url, customer.token) as watcher:
        reply = await watcher.subscribe(f"order:{order['id']}", since="0")
        assert reply["ok"] is True
        await watcher.wait_events(f"order:{order['id']}", 1)
        await move(api_a, admin.headers, order["id"], "cancelled", reason="customer called")
        events = await watcher.wait_events(f"order:{order['id']}", 2)

    assert [e["id"] for e in events] == ["1", "2"]
    assert [e["event"] for e in events] == ["order.created", "order.status"]
    assert events[1]["data"]["status"] == "cancelled"
    assert events[1]["data"]["reason"] == "customer called"


async def test_embedded_server_delivers_over_websocket_and_sse(
    start_server: Any, make_account: Any, http: Any, sqlite_url: str
) -> None:
    server = start_server(sqlite_url)
    admin = await make_account(server, sqlite_url, Role.ADMIN)
    customer = await make_account(server, sqlite_url, Role.CUSTOMER)
    api = http(server)
    order = await book_order(api, api, customer.headers, admin.headers)
    channel = f"order:{order['id']}"

    sse = SseReader()
    sse_task = asyncio.create_task(
        sse.run(
            api,
            f"/api/orders/{order['id']}/events",
            {**customer.headers, "Last-Event-ID": f"{channel}@0"},
        )
    )
    async with live_client(server.ws_url, customer.token) as watcher:
        await watcher.subscribe(channel, since="0")
        await watcher.wait_events(channel, 1)
        await sse.wait_count(1)
        await move(api, customer.headers, order["id"], "cancelled")
        ws_events = await watcher.wait_events(channel, 2)
        await sse.wait_count(2)
    sse_task.cancel()

    assert [e["data"]["status"] for e in ws_events] == ["pending", "cancelled"]
    assert [(event, data["id"]) for _, event, data in sse.events] == [
        ("order.created", "1"),
        ("order.status", "2"),
    ]
    # The chat it follows too, though nothing was said: resuming from here loses none of it.
    assert sse.events[-1][0] == f"{channel}@2,{channel}:chat@0"


async def test_a_resumed_client_gets_exactly_the_missed_events_in_order(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url)
    admin = await make_account(server, postgres_url, Role.ADMIN)
    washer = await make_account(server, postgres_url, Role.WASHER)
    customer = await make_account(server, postgres_url, Role.CUSTOMER)
    api = http(server)
    order = await book_order(api, api, customer.headers, admin.headers)
    channel = f"order:{order['id']}"

    async with live_client(server.ws_url, admin.token) as first:
        await first.subscribe(channel, since="0")
        await first.subscribe("ops")
        await move(api, admin.headers, order["id"], "assigned", washer_id=washer.id)
        seen = await first.wait_events(channel, 2)
        ops_seen = await first.wait_events("ops", 1)
    last_order_id, last_ops_id = seen[-1]["id"], ops_seen[-1]["id"]

    for status in ("en_route", "arrived", "in_progress"):
        await move(api, washer.headers, order["id"], status)

    async with live_client(server.ws_url, admin.token) as resumed:
        await resumed.subscribe(channel, since=last_order_id)
        await resumed.subscribe("ops", since=last_ops_id)
        missed = await resumed.wait_events(channel, 3)
        missed_ops = await resumed.wait_events("ops", 3)
        await move(api, washer.headers, order["id"], "completed")
        live = await resumed.wait_events(channel, 4)

    assert [e["id"] for e in missed] == ["3", "4", "5"]
    assert [e["data"]["status"] for e in missed] == ["en_route", "arrived", "in_progress"]
    assert [e["data"]["status"] for e in missed_ops] == ["en_route", "arrived", "in_progress"]
    assert [e["id"] for e in live] == ["3", "4", "5", "6"]
    assert not any(f.get("type") == "reset" for f in resumed.frames)
