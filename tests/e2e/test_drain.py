"""The deploy drain: SIGTERM moves live clients to another server without losing an event."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from typing import Any

import httpx

from domain.roles import Role
from realtime.close_codes import SERVICE_RESTART
from tests.e2e.streams import (
    advance,
    closed_with,
    event_ids,
    eventually,
    settle,
    sse_ids,
    sse_stream,
    wait_sse,
)
from tests.support.journey import book_order
from tests.support.live import live_client

ALL_ORDER_IDS = ["1", "2", "3", "4", "5", "6"]


async def test_sigterm_drains_live_clients_to_another_server_without_losing_events(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    leaving = start_server(
        postgres_url, clean_redis_url, DRAIN_DELAY_SECONDS="2", SHUTDOWN_GRACE_SECONDS="10"
    )
    staying = start_server(postgres_url, clean_redis_url)
    admin = await make_account(staying, postgres_url, Role.ADMIN)
    washer = await make_account(staying, postgres_url, Role.WASHER)
    customer = await make_account(staying, postgres_url, Role.CUSTOMER)
    api = http(staying)
    order = await book_order(api, api, customer.headers, admin.headers)
    channel = f"order:{order['id']}"
    url = f"/api/orders/{order['id']}/events"

    first_chunk_sent, rest_may_go = asyncio.Event(), asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield b'{"to": '
        first_chunk_sent.set()
        await rest_may_go.wait()
        yield b'"en_route"}'

    async def ready_status() -> int:
        # A fresh connection each time, as a load balancer's probe makes.
        async with httpx.AsyncClient(base_url=leaving.base_url, timeout=5) as probe:
            return (await probe.get("/ready")).status_code

    async with (
        live_client(leaving.ws_url, customer.token) as ws,
        sse_stream(
            leaving.base_url, url, {**customer.headers, "Last-Event-ID": f"{channel}@0"}
        ) as (sse, _),
        httpx.AsyncClient(base_url=leaving.base_url, timeout=30) as slow_client,
    ):
        await ws.subscribe(channel, since="0")
        await advance(api, admin.headers, washer, order["id"], "assigned")
        await ws.wait_events(channel, 2)
        await wait_sse(sse, channel, 2)
        assert await ready_status() == 200

        in_flight = asyncio.create_task(
            slow_client.post(
                f"/api/orders/{order['id']}/transitions",
                headers={**washer.headers, "Content-Type": "application/json"},
                content=slow_body(),
            )
        )
        await asyncio.wait_for(first_chunk_sent.wait(), 10)
        leaving.signal(signal.SIGTERM)

        async def unready() -> bool:
            return await ready_status() == 503

        await eventually(unready, timeout=10)
        code, reason = await closed_with(ws)
        assert code == SERVICE_RESTART and reason
        await asyncio.wait_for(sse.ended.wait(), 10)

        async def stopped_listening() -> bool:
            try:
                await ready_status()
            except httpx.TransportError:
                return True
            return False

        # Only now, with the server past its drain delay and shutting down, the request
        # that was in flight all along sends the rest of its body.
        await eventually(stopped_listening, timeout=10)
        rest_may_go.set()
        response = await asyncio.wait_for(in_flight, 15)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "en_route"

    exit_code = await asyncio.to_thread(leaving.wait, 15)
    assert exit_code == 0

    ws_before, sse_before = event_ids(ws.events(channel)), sse_ids(sse, channel)
    last_sse_id = sse.events[-1][0]
    for status in ("arrived", "in_progress"):
        await advance(api, admin.headers, washer, order["id"], status)

    async with (
        live_client(staying.ws_url, customer.token) as resumed,
        sse_stream(staying.base_url, url, {**customer.headers, "Last-Event-ID": last_sse_id}) as (
            sse_resumed,
            _,
        ),
    ):
        await resumed.subscribe(channel, since=ws_before[-1])
        await resumed.wait_events(channel, 3)
        await wait_sse(sse_resumed, channel, 3)
        await advance(api, admin.headers, washer, order["id"], "completed")
        await resumed.wait_events(channel, len(ALL_ORDER_IDS) - len(ws_before))
        await wait_sse(sse_resumed, channel, len(ALL_ORDER_IDS) - len(sse_before))
        await settle(resumed)

    assert ws_before + event_ids(resumed.events(channel)) == ALL_ORDER_IDS
    assert sse_before + sse_ids(sse_resumed, channel) == ALL_ORDER_IDS
    statuses = [e["data"]["status"] for e in resumed.events(channel)]
    assert statuses[-1] == "completed"
    assert not any(f.get("type") == "reset" for f in resumed.frames)
