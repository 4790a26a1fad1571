"""An event has one body however it arrives: live, from Redis history, or from the database.

A resume that Redis can no longer serve is answered from the database. It used to rebuild
each event from today's order row and stamp it with the time the change happened rather than
the time it was published, so one event id reached clients with two different bodies.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from domain.roles import Role
from tests.support.journey import book_order, move
from tests.support.live import live_client


async def test_a_database_served_resume_repeats_the_live_events_exactly(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url)
    admin = await make_account(server, postgres_url, Role.ADMIN)
    washer = await make_account(server, postgres_url, Role.WASHER)
    customer = await make_account(server, postgres_url, Role.CUSTOMER)
    api = http(server)
    order = await book_order(api, api, customer.headers, admin.headers)
    channel, chat = f"order:{order['id']}", f"order:{order['id']}:chat"

    async with live_client(server.ws_url, customer.token) as live:
        await live.subscribe(channel, since="0")
        await live.subscribe(chat)
        await move(api, admin.headers, order["id"], "assigned", washer_id=washer.id)
        await move(api, washer.headers, order["id"], "en_route")
        sent = await api.post(
            f"/api/orders/{order['id']}/messages", headers=customer.headers, json={"body": "hi"}
        )
        assert sent.status_code == 201, sent.text
        seen = await live.wait_events(channel, 3)
        seen_chat = await live.wait_events(chat, 1)

    redis = aioredis.from_url(clean_redis_url)
    await redis.flushdb()  # Redis forgets every history: only the database can answer now
    await redis.aclose()

    async with live_client(server.ws_url, customer.token) as resumed:
        await resumed.subscribe(channel, since="0")
        await resumed.subscribe(chat, since="0")
        replayed = await resumed.wait_events(channel, 3)
        replayed_chat = await resumed.wait_events(chat, 1)

    assert [e["id"] for e in replayed] == ["1", "2", "3"]
    assert replayed == seen
    assert replayed_chat == seen_chat
