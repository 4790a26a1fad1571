"""Live access follows the facts: a subscription ends when the user may no longer see what it
carries, and an order's stream gains the track when the order gets a washer.

Access used to be decided only at subscribe time, so a washer released from an order kept
receiving its chat and status on sockets opened while assigned, and an order stream opened
while pending never carried the washer's track.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from domain.roles import Role
from tests.support.journey import ADDRESS, book_order, move
from tests.support.live import SseReader, live_client

CHAT = "/api/orders/{}/messages"


async def test_a_released_washer_loses_the_orders_live_channels_on_every_transport(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server_a = start_server(postgres_url, clean_redis_url)
    server_b = start_server(postgres_url, clean_redis_url)
    admin = await make_account(server_a, postgres_url, Role.ADMIN)
    released = await make_account(server_a, postgres_url, Role.WASHER)
    successor = await make_account(server_a, postgres_url, Role.WASHER)
    customer = await make_account(server_a, postgres_url, Role.CUSTOMER)
    api_a, api_b = http(server_a), http(server_b)
    order = await book_order(api_a, api_a, customer.headers, admin.headers)
    order_id = order["id"]
    status, chat = f"order:{order_id}", f"order:{order_id}:chat"
    await move(api_a, admin.headers, order_id, "assigned", washer_id=released.id)

    stream = SseReader()
    stream_task = asyncio.create_task(
        stream.run(
            api_b,
            f"/api/orders/{order_id}/events",
            {**released.headers, "Last-Event-ID": f"{status}@0"},
        )
    )
    async with (
        live_client(server_b.ws_url, released.token) as old,
        live_client(server_a.ws_url, successor.token) as new,
    ):
        assert (await old.subscribe(status))["type"] == "reply"
        assert (await old.subscribe(chat))["type"] == "reply"
        await stream.wait_count(2)  # replayed from the start: created, assigned

        # The washer releases the order (on the other server); access ends everywhere.
        await move(api_a, released.headers, order_id, "pending", reason="car trouble")
        ended = [
            await old.wait_for(lambda f, c=c: f.get("type") == "unsubscribed" and f["channel"] == c)
            for c in (status, chat)
        ]
        assert all(frame["code"] == "forbidden" for frame in ended)
        await asyncio.wait_for(stream.ended.wait(), 10)
        _, last_event, last_data = stream.events[-1]
        assert last_event == "end" and last_data["code"] == "forbidden"
        assert last_data["channel"] == status

        # Another washer gets it and the chat goes on: none of it reaches the released one.
        await move(api_a, admin.headers, order_id, "assigned", washer_id=successor.id)
        assert (await new.subscribe(chat))["type"] == "reply"
        sent = await api_a.post(
            CHAT.format(order_id), headers=customer.headers, json={"body": "gate code 1234"}
        )
        assert sent.status_code == 201, sent.text
        await new.wait_events(chat, 1)
        refused = await old.subscribe(chat)
        assert refused["type"] == "error" and refused["code"] == "forbidden"

        after_release = old.frames[old.frames.index(ended[-1]) + 1 :]
        leaked = [f for f in after_release if f.get("type") == "event"]
        assert leaked == [], leaked
        assert old.close_code is None  # the socket itself stays: other channels are unharmed
    stream_task.cancel()
    reopened = await api_b.get(f"/api/orders/{order_id}/events", headers=released.headers)
    assert reopened.status_code == 404


async def test_an_order_stream_opened_while_pending_carries_the_track_once_assigned(
    start_server: Any, make_account: Any, http: Any, sqlite_url: str
) -> None:
    server = start_server(sqlite_url)
    admin = await make_account(server, sqlite_url, Role.ADMIN)
    washer = await make_account(server, sqlite_url, Role.WASHER)
    customer = await make_account(server, sqlite_url, Role.CUSTOMER)
    api = http(server)
    order = await book_order(api, api, customer.headers, admin.headers)
    order_id = order["id"]

    stream = SseReader()
    stream_task = asyncio.create_task(
        stream.run(
            api,
            f"/api/orders/{order_id}/events",
            {**customer.headers, "Last-Event-ID": f"order:{order_id}@0"},
        )
    )
    await stream.wait_count(1)  # order.created: the stream is live, without the track
    await move(api, admin.headers, order_id, "assigned", washer_id=washer.id)
    await move(api, washer.headers, order_id, "en_route")
    await stream.wait_count(3)

    async with live_client(server.ws_url, washer.token) as phone:
        fix = {
            "lat": ADDRESS["lat"] + 0.02,
            "lng": ADDRESS["lng"],
            "ts": datetime.now(UTC).isoformat(),
        }
        accepted = await phone.request("location", **fix)
        assert accepted["type"] == "reply", accepted
        assert accepted["order_id"] == order_id

    async def track_arrives() -> list[Any]:
        while True:
            located = [data for _, event, data in stream.events if event == "order.location"]
            if located:
                return located
            await stream.wait_count(len(stream.events) + 1)

    located = await asyncio.wait_for(track_arrives(), 10)
    assert located[0]["data"]["order_id"] == order_id
    last_id = stream.events[-1][0]
    assert f"order:{order_id}:track@" in last_id  # one Last-Event-ID resumes the track too
    stream_task.cancel()


async def test_an_sse_stream_ends_when_its_token_expires(
    start_server: Any, make_account: Any, http: Any, sqlite_url: str
) -> None:
    server = start_server(sqlite_url, ACCESS_TOKEN_TTL_SECONDS="3")
    customer = await make_account(server, sqlite_url, Role.CUSTOMER)
    stream = SseReader()
    task = asyncio.create_task(stream.run(http(server), "/api/me/events", customer.headers))
    await asyncio.wait_for(stream.ended.wait(), 15)
    task.cancel()
    assert stream.status == 200
    _, event, data = stream.events[-1]
    assert event == "end" and data["code"] == "token_expired"
