"""Live connections survive what production throws at them: a Redis restart, a stalled
neighbour, hostile or broken clients and expiring tokens."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import time
from datetime import datetime
from typing import Any

import httpx
import jwt
import pytest
import websockets

from domain.roles import Role
from realtime.close_codes import MESSAGE_TOO_BIG, SLOW_CONSUMER, TOO_MANY_OPS, UNAUTHORIZED
from realtime.redis_broker import RedisBroker
from tests.e2e.streams import (
    ORDER_JOURNEY,
    advance,
    closed_with,
    event_ids,
    eventually,
    settle,
    sse_ids,
    sse_stream,
    wait_sse,
)
from tests.support.journey import book_order, move
from tests.support.live import LiveClient, live_client
from tests.support.services import ThrowawayRedis

ALL_ORDER_IDS = ["1", "2", "3", "4", "5", "6"]


async def test_restarting_redis_under_connected_clients_loses_no_order_event(
    start_server: Any, make_account: Any, http: Any, postgres_url: str
) -> None:
    with ThrowawayRedis() as redis:
        server_a = start_server(postgres_url, redis.url)
        server_b = start_server(postgres_url, redis.url)
        admin = await make_account(server_a, postgres_url, Role.ADMIN)
        washer = await make_account(server_a, postgres_url, Role.WASHER)
        customer = await make_account(server_a, postgres_url, Role.CUSTOMER)
        api_a, api_b = http(server_a), http(server_b)
        order = await book_order(api_a, api_a, customer.headers, admin.headers)
        channel = f"order:{order['id']}"
        url = f"/api/orders/{order['id']}/events"
        resume = {**customer.headers, "Last-Event-ID": f"{channel}@0"}

        async with (
            live_client(server_b.ws_url, customer.token) as watcher,
            sse_stream(server_a.base_url, url, resume) as (sse, _),
        ):
            assert (await watcher.subscribe(channel, since="0"))["ok"] is True
            await watcher.wait_events(channel, 1)
            await wait_sse(sse, channel, 1)

            redis.stop()

            async def redis_reported_down() -> bool:
                response = await api_b.get("/ready")
                body = response.json()
                return (response.status_code, body["status"]) == (200, "degraded") and body[
                    "checks"
                ]["redis"].startswith("down")

            await eventually(redis_reported_down, timeout=20)
            for status in ORDER_JOURNEY:
                await advance(api_a, admin.headers, washer, order["id"], status)
            current = await api_b.get(f"/api/orders/{order['id']}", headers=customer.headers)
            assert current.status_code == 200
            assert current.json()["order"]["status"] == "completed"

            redis.start()

            ws_events = await watcher.wait_events(channel, len(ALL_ORDER_IDS), timeout=30)
            await wait_sse(sse, channel, len(ALL_ORDER_IDS), timeout=30)
            await settle(watcher)

            async def ready_again() -> bool:
                return (await api_b.get("/ready")).json()["status"] == "ready"

            await eventually(ready_again, timeout=20)

        assert event_ids(watcher.events(channel)) == ALL_ORDER_IDS
        assert [e["data"]["status"] for e in ws_events] == ["pending", *ORDER_JOURNEY]
        assert sse_ids(sse, channel) == ALL_ORDER_IDS
        assert not any(f.get("type") == "reset" for f in watcher.frames)


async def _count_ops(connection: Any, received: list[int], arrived: asyncio.Condition) -> None:
    async for message in connection:
        frame = json.loads(message)
        if frame.get("type") == "event" and frame.get("event") == "load.test":
            async with arrived:
                received.append(frame["data"]["n"])
                arrived.notify_all()


async def _slow_consumer_disconnects(api: httpx.AsyncClient) -> float:
    metrics = (await api.get("/metrics")).text
    for line in metrics.splitlines():
        if line.startswith("washline_realtime_slow_consumer_disconnects_total"):
            return float(line.split()[-1])
    return 0.0


async def test_a_stalled_client_is_cut_off_and_never_slows_a_fast_one(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    queue_size, window, batch, most = 64, 32, 500, 20_000
    server = start_server(
        postgres_url, clean_redis_url, OUTBOUND_QUEUE_SIZE=str(queue_size), HEARTBEAT_SECONDS="300"
    )
    admin = await make_account(server, postgres_url, Role.ADMIN)
    api = http(server)
    url = f"{server.ws_url}?token={admin.token}"
    subscribe = json.dumps({"op": "subscribe", "channel": "ops", "ref": 1})

    # The stalled client: a tiny receive buffer and a one-message queue, then it stops reading.
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    raw.setblocking(False)
    # No compression: what the server buffers per event must be the ~1 KB it looks like.
    stalled = await websockets.connect(url, sock=raw, max_queue=1, max_size=None, compression=None)
    fast = await websockets.connect(url, max_size=None, compression=None)
    broker = RedisBroker(clean_redis_url)
    received: list[int] = []
    arrived = asyncio.Condition()
    try:
        for connection in (stalled, fast):
            await connection.send(subscribe)
            assert json.loads(await connection.recv())["ok"] is True
        counter = asyncio.create_task(_count_ops(fast, received, arrived))

        async def fast_has(count: int) -> None:
            async with arrived:
                await arrived.wait_for(lambda: len(received) >= count or counter.done())
            assert len(received) >= count, "the fast client stopped receiving"

        # Publish ~1 KB events no faster than the fast client reads them, so only a client
        # that stopped reading can fill its queue; a server that waited on the stalled
        # socket would stall the fast one too and fail these bounded waits. Kernel buffers
        # absorb megabytes first, so keep going until the server reports the cut-off.
        total = 0
        while await _slow_consumer_disconnects(api) < 1:
            assert total < most, "the stalled client was never cut off"
            for n in range(total, total + batch):
                padding = base64.b64encode(os.urandom(750)).decode()
                await broker.publish("ops", "load.test", {"n": n, "padding": padding})
                if n >= window:
                    await asyncio.wait_for(fast_has(n - window), timeout=30)
            total += batch
        await asyncio.wait_for(fast_has(total), timeout=30)
        assert received == list(range(total))
        assert not counter.done()

        stalled_got: list[int] = []
        with contextlib.suppress(websockets.ConnectionClosed):
            async with asyncio.timeout(60):
                async for message in stalled:
                    frame = json.loads(message)
                    if frame.get("event") == "load.test":
                        stalled_got.append(frame["data"]["n"])
        assert stalled.close_code == SLOW_CONSUMER
        assert "queue" in (stalled.close_reason or "")
        assert stalled_got == list(range(len(stalled_got)))
        assert len(stalled_got) < total
    finally:
        await broker.close()
        await fast.close()
        await stalled.close()


def _forged(token: str, *, secret: str | None = None, expired: bool = False) -> str:
    """The same claims, re-signed with another secret or already expired."""
    claims = jwt.decode(token, options={"verify_signature": False})
    if expired:
        claims["exp"] = int(time.time()) - 60
    return jwt.encode(claims, secret or "washline-development-secret-change-me", "HS256")


async def _rejected(ws_url: str, token: str) -> tuple[dict[str, Any], int | None, str | None]:
    async with live_client(ws_url, token) as client:
        error = await client.wait_for(lambda f: f.get("type") == "error")
        code, reason = await closed_with(client)
        return error, code, reason


async def _refusal(client: LiveClient, frame: dict[str, Any] | str) -> dict[str, Any]:
    """Send a frame the server must refuse; return its error and prove the socket lives."""
    before = {id(f) for f in client.frames}
    await client.send(frame)
    error = await client.wait_for(lambda f: f.get("type") == "error" and id(f) not in before)
    await settle(client)
    return error


async def test_bad_clients_get_clear_errors_and_their_neighbour_is_untouched(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(
        postgres_url, clean_redis_url, WS_MAX_SUBSCRIPTIONS="2", WS_MAX_FRAME_BYTES="4096"
    )
    admin = await make_account(server, postgres_url, Role.ADMIN)
    offender = await make_account(server, postgres_url, Role.CUSTOMER)
    neighbour = await make_account(server, postgres_url, Role.CUSTOMER)
    api = http(server)
    mine = await book_order(api, api, offender.headers, admin.headers)
    other_api = http(server)  # book_order names its package after the client
    theirs = await book_order(other_api, other_api, neighbour.headers, admin.headers)
    their_channel = f"order:{theirs['id']}"

    async with live_client(server.ws_url, neighbour.token) as bystander:
        await bystander.subscribe(their_channel, since="0")
        await bystander.wait_events(their_channel, 1)

        for token in (
            "garbage",
            _forged(offender.token, expired=True),
            _forged(offender.token, secret="not-our-secret-but-long-enough-for-hs256"),
        ):
            error, code, reason = await _rejected(server.ws_url, token)
            assert (error["code"], code) == ("unauthorized", UNAUTHORIZED)
            assert reason and error["message"] == reason

        async with live_client(server.ws_url, offender.token) as client:
            for channel in (their_channel, "ops", "order:987654321", f"{their_channel}:chat"):
                error = await _refusal(client, {"op": "subscribe", "channel": channel, "ref": "f"})
                assert (error["code"], error["ref"]) == ("forbidden", "f")
            assert (await _refusal(client, "{not json"))["code"] == "invalid_json"
            assert (await _refusal(client, {"op": "dance", "ref": "a"}))["code"] == "unknown_op"
            assert (await _refusal(client, {"op": "subscribe", "ref": "m"}))["code"] == "bad_field"
            wrong = {"op": "subscribe", "channel": 42, "ref": "w"}
            assert (await _refusal(client, wrong))["code"] == "bad_field"
            assert (await _refusal(client, "[1, 2]"))["code"] == "bad_frame"
            assert (await _refusal(client, "17"))["code"] == "bad_frame"
            assert (await _refusal(client, {"ping": True}))["code"] == "bad_frame"
            assert (await _refusal(client, {"op": "subscribe", "channel": "nope"}))[
                "code"
            ] == "bad_channel"

            assert (await client.subscribe(f"order:{mine['id']}"))["ok"] is True
            assert (await client.subscribe(f"user:{offender.id}"))["ok"] is True
            too_many = {"op": "subscribe", "channel": f"order:{mine['id']}:chat", "ref": "t"}
            assert (await _refusal(client, too_many))["code"] == "too_many_subscriptions"

        async with live_client(server.ws_url, offender.token) as client:
            await client.send("x" * 5000)
            assert (await closed_with(client))[0] == MESSAGE_TOO_BIG

        async with live_client(server.ws_url, offender.token) as client:
            for _ in range(1500):
                await client.send({"op": "ping"})
            assert (await closed_with(client, timeout=30))[0] == TOO_MANY_OPS
            codes = [f.get("code") for f in client.frames if f.get("type") == "error"]
            assert codes and set(codes) == {"rate_limited"}

        await move(api, neighbour.headers, theirs["id"], "cancelled")
        events = await bystander.wait_events(their_channel, 2)
        await settle(bystander)
        assert event_ids(events) == ["1", "2"]


async def _fresh_pair(api: httpx.AsyncClient, refresh_token: str) -> tuple[str, str]:
    response = await api.post("/api/auth/refresh", json={"refresh_token": refresh_token})
    response.raise_for_status()
    body = response.json()
    return body["access_token"], body["refresh_token"]


async def test_a_socket_lives_past_token_expiry_only_if_it_sends_a_fresh_token(
    start_server: Any, make_account: Any, http: Any, sqlite_url: str
) -> None:
    server = start_server(sqlite_url, ACCESS_TOKEN_TTL_SECONDS="2")
    lazy = await make_account(server, sqlite_url, Role.CUSTOMER)
    diligent = await make_account(server, sqlite_url, Role.CUSTOMER)
    api = http(server)

    lazy_token, _ = await _fresh_pair(api, lazy.refresh_token)
    token, refresh = await _fresh_pair(api, diligent.refresh_token)
    first_expiry = jwt.decode(token, options={"verify_signature": False})["exp"]
    async with (
        live_client(server.ws_url, lazy_token) as lapsing,
        live_client(server.ws_url, token) as renewing,
    ):
        assert (await renewing.subscribe(f"user:{diligent.id}"))["ok"] is True

        async def keep_renewing() -> None:
            nonlocal refresh
            while True:
                fresh, refresh = await _fresh_pair(api, refresh)
                reply = await renewing.request("auth", token=fresh)
                assert reply["ok"] is True and reply["expires_at_epoch"] >= first_expiry
                assert datetime.fromisoformat(reply["expires_at"]).timestamp() == pytest.approx(
                    reply["expires_at_epoch"], abs=1e-3
                )
                await asyncio.sleep(0.5)

        renewer = asyncio.create_task(keep_renewing())
        try:
            assert await closed_with(lapsing, timeout=15) == (UNAUTHORIZED, "token expired")
            assert lapsing.frames[-1]["code"] == "token_expired"

            async def past_first_expiry() -> bool:
                return time.time() > first_expiry + 1

            await eventually(past_first_expiry, timeout=15)
            assert not renewer.done()
            await settle(renewing)
            refused = await renewing.request("auth", token="garbage")
            assert refused["code"] == "unauthorized"
            await settle(renewing)
        finally:
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)


async def test_a_token_in_the_subprotocol_authenticates_without_a_query_string(
    start_server: Any, make_account: Any, sqlite_url: str
) -> None:
    server = start_server(sqlite_url)
    customer = await make_account(server, sqlite_url, Role.CUSTOMER)
    protocols: Any = ["washline.v1", f"bearer.{customer.token}"]
    async with websockets.connect(server.ws_url, subprotocols=protocols) as connection:
        assert connection.subprotocol == "washline.v1"
        client = LiveClient(connection)
        try:
            assert (await client.subscribe(f"user:{customer.id}"))["ok"] is True
            await settle(client)
        finally:
            await client.close()
