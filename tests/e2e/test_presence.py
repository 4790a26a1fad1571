"""Presence: who is connected, across processes, and gone when they leave or their process dies."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import httpx

from domain.roles import Role
from tests.e2e.streams import eventually, settle
from tests.support.journey import book_order
from tests.support.live import live_client


async def _online(api: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await api.get("/api/admin/washers/online", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["washers"])


async def _members(
    api: httpx.AsyncClient, headers: dict[str, str], channel: str
) -> list[dict[str, Any]]:
    response = await api.get("/api/admin/presence", params={"channel": channel}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["channel"] == channel
    return list(response.json()["members"])


async def test_presence_follows_connections_across_processes_and_lapses_when_one_dies(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    doomed = start_server(postgres_url, clean_redis_url, PRESENCE_TTL_SECONDS="2")
    observer = start_server(postgres_url, clean_redis_url, PRESENCE_TTL_SECONDS="2")
    admin = await make_account(observer, postgres_url, Role.ADMIN)
    washer = await make_account(observer, postgres_url, Role.WASHER)
    customer = await make_account(observer, postgres_url, Role.CUSTOMER)
    api = http(observer)
    order = await book_order(api, api, customer.headers, admin.headers)
    channel = f"order:{order['id']}"

    assert await _online(api, admin.headers) == []
    refused = await api.get("/api/admin/washers/online", headers=customer.headers)
    assert refused.status_code == 403
    bad = await api.get("/api/admin/presence", params={"channel": "nope"}, headers=admin.headers)
    assert bad.status_code == 400

    async with live_client(doomed.ws_url, washer.token) as washer_app:
        await settle(washer_app)
        online = await _online(api, admin.headers)
        assert online == [{"user_id": washer.id, "connections": 1}]
        [member] = await _members(api, admin.headers, "presence:washers")
        assert (member["user_id"], member["role"], member["transport"]) == (
            washer.id,
            "washer",
            "ws",
        )

        async with live_client(doomed.ws_url, customer.token) as watcher:
            assert (await watcher.subscribe(channel))["ok"] is True
            [listener] = await _members(api, admin.headers, channel)
            assert (listener["user_id"], listener["role"]) == (customer.id, "customer")
            assert (await watcher.request("unsubscribe", channel=channel))["ok"] is True
            assert await _members(api, admin.headers, channel) == []
            await watcher.subscribe(channel)
            assert len(await _members(api, admin.headers, channel)) == 1

        async def customer_gone() -> bool:
            return await _members(api, admin.headers, channel) == []

        await eventually(customer_gone)

    async def nobody_online() -> bool:
        return await _online(api, admin.headers) == []

    await eventually(nobody_online)

    async with live_client(doomed.ws_url, washer.token) as washer_app:
        await washer_app.subscribe(f"user:{washer.id}")
        assert await _online(api, admin.headers) == [{"user_id": washer.id, "connections": 1}]
        doomed.signal(signal.SIGKILL)
        await asyncio.to_thread(doomed.wait, 10)
        # No goodbye from a killed process: its entries lapse once its heartbeat stops.
        await eventually(nobody_online, timeout=20)
        assert await _members(api, admin.headers, f"user:{washer.id}") == []


async def test_embedded_presence_lists_the_connected_washer(
    start_server: Any, make_account: Any, http: Any, sqlite_url: str
) -> None:
    server = start_server(sqlite_url)
    admin = await make_account(server, sqlite_url, Role.ADMIN)
    washer = await make_account(server, sqlite_url, Role.WASHER)
    api = http(server)

    async with live_client(server.ws_url, washer.token) as washer_app:
        await settle(washer_app)
        assert await _online(api, admin.headers) == [{"user_id": washer.id, "connections": 1}]
        washers_channel = await _members(api, admin.headers, "presence:washers")
        assert [m["user_id"] for m in washers_channel] == [washer.id]

    async def nobody_online() -> bool:
        return await _online(api, admin.headers) == []

    await eventually(nobody_online)
