"""An order's SSE stream resumes every channel it follows from the last id it wrote.

The `id:` of the order stream used to carry only the channels it had delivered on: a chat
position the stream was resumed from, or the order's position on a stream opened without
one, was dropped from it, so reconnecting with the last id received lost what that channel
carried meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from domain.roles import Role
from tests.e2e.streams import sse_stream
from tests.support.journey import book_order, move
from tests.support.live import SseReader

CHAT = "/api/orders/{}/messages"


@pytest.fixture(params=["postgresql+redis", "embedded"])
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    if request.param == "embedded":
        return request.getfixturevalue("sqlite_url"), ""
    return request.getfixturevalue("postgres_url"), request.getfixturevalue("clean_redis_url")


async def _say(api: httpx.AsyncClient, headers: dict[str, str], order_id: int, body: str) -> int:
    sent = await api.post(CHAT.format(order_id), headers=headers, json={"body": body})
    assert sent.status_code == 201, sent.text
    return int(sent.json()["seq"])


async def _first_event(reader: SseReader, nudge: Any = None) -> tuple[str, str, Any]:
    """The stream's first event; ``nudge`` makes one until the stream is live."""
    for _ in range(50):
        if nudge is not None:
            await nudge()
        try:
            await reader.wait_count(1, timeout=0.3)
        except TimeoutError:
            continue
        return reader.events[0]
    raise AssertionError("the stream never delivered an event")


async def test_the_order_streams_id_carries_every_channel_it_follows(
    backend: tuple[str, str], start_server: Any, make_account: Any, http: Any
) -> None:
    database_url, redis_url = backend
    server = start_server(database_url, redis_url)
    admin = await make_account(server, database_url, Role.ADMIN)
    washer = await make_account(server, database_url, Role.WASHER)
    customer = await make_account(server, database_url, Role.CUSTOMER)
    api = http(server)
    order_id = (await book_order(api, api, customer.headers, admin.headers))["id"]
    status, chat = f"order:{order_id}", f"order:{order_id}:chat"
    url = f"/api/orders/{order_id}/events"
    await move(api, admin.headers, order_id, "assigned", washer_id=washer.id)  # order seq 2
    assert await _say(api, customer.headers, order_id, "one") == 1
    assert await _say(api, washer.headers, order_id, "two") == 2

    # Resumed from the chat's position but delivering on the order only: the chat stays.
    resume = {**customer.headers, "Last-Event-ID": f"{status}@1,{chat}@2"}
    async with sse_stream(server.base_url, url, resume) as (reader, _):
        last_id, event, data = await _first_event(reader)
    assert (event, data["id"]) == ("order.status", "2")
    assert f"{status}@2" in last_id.split(",")
    assert f"{chat}@2" in last_id.split(","), last_id

    assert await _say(api, customer.headers, order_id, "three") == 3  # while disconnected
    resume = {**customer.headers, "Last-Event-ID": last_id}
    async with sse_stream(server.base_url, url, resume) as (reader, _):
        last_id, event, data = await _first_event(reader)
        await asyncio.sleep(0.3)  # nothing repeated after it
    assert (event, data["channel"], data["id"]) == ("chat.message", chat, "3")
    assert [e[2]["id"] for e in reader.events] == ["3"]
    assert f"{status}@2" in last_id.split(","), last_id

    # Opened without a position: the order's position is the one it started from.
    async def nudge() -> None:
        await _say(api, customer.headers, order_id, "are you there?")

    async with sse_stream(server.base_url, url, customer.headers) as (reader, _):
        last_id, event, data = await _first_event(reader, nudge)
    assert (event, data["channel"]) == ("chat.message", chat)
    assert f"{status}@2" in last_id.split(","), last_id

    seen_chat = int(data["id"])
    await move(api, washer.headers, order_id, "en_route")  # order seq 3, while disconnected
    resume = {**customer.headers, "Last-Event-ID": last_id}
    async with sse_stream(server.base_url, url, resume) as (reader, _):
        await _first_event(reader)
        for _ in range(30):
            if any(event == "order.status" for _, event, _ in reader.events):
                break
            await asyncio.sleep(0.1)
    order_events = [(e[2]["channel"], e[2]["id"]) for e in reader.events if e[1] == "order.status"]
    assert order_events == [(status, "3")]
    chat_ids = [int(e[2]["id"]) for e in reader.events if e[1] == "chat.message"]
    assert all(seq > seen_chat for seq in chat_ids), chat_ids  # nothing seen is repeated
