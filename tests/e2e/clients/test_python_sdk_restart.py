"""The Python SDK across a server restart, on PostgreSQL + Redis: chat keeps flowing while the
server stops and starts again, and the app receives every message once, in order.

Three people take turns writing (each user's chat has its own rate limit). The producer
retries each message with the same `Idempotency-Key` until the server answers,
so exactly `MESSAGES` messages exist; the SDK must reconnect, resume with `since` and drop
what it had already handed over.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from washline_client import Event, LiveItem

from domain.roles import Role
from tests.support.journey import ADDRESS
from tests.support.sdk import post_until_stored, sdk_client

MESSAGES = 24
RESTART_AFTER = 8


@pytest.mark.parametrize("transport", ["ws", "sse"])
async def test_no_message_is_lost_or_repeated_across_a_restart(
    transport: str, start_server: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url)
    async with (
        sdk_client(server, postgres_url, Role.ADMIN) as admin,
        sdk_client(server, postgres_url, Role.CUSTOMER) as customer,
        sdk_client(server, postgres_url, Role.WASHER) as washer,
    ):
        package = await admin.call(
            "POST",
            "/api/packages",
            {"name": "Restart", "base_price_cents": 2000, "duration_minutes": 20},
        )
        vehicle = await customer.add_vehicle("Saab", "900", "RST-1", "small")
        order = await customer.book(vehicle_id=vehicle.id, package_id=package["id"], **ADDRESS)
        await admin.transition(order.id, "assigned", washer_id=washer.user.id)
        chat = f"order:{order.id}:chat"

        received: list[LiveItem] = []
        async with customer.live(transport=transport) as live:  # type: ignore[arg-type]
            await live.subscribe(chat, since="0")
            async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as api:
                writers = [c.tokens.pair.access_token for c in (washer, customer, admin)]

                def token_for(n: int) -> str:
                    return writers[n % len(writers)]

                for n in range(1, RESTART_AFTER + 1):
                    await post_until_stored(api, token_for(n), order.id, f"message {n}")
                while len(received) < RESTART_AFTER:
                    received.append(await live.next(20))

                async def produce_the_rest() -> None:
                    for n in range(RESTART_AFTER + 1, MESSAGES + 1):
                        await post_until_stored(api, token_for(n), order.id, f"message {n}")
                        await asyncio.sleep(0.05)

                producer = asyncio.create_task(produce_the_rest())
                await asyncio.sleep(0.2)  # a few messages in flight when the server stops
                await asyncio.to_thread(server.stop)
                await asyncio.to_thread(server.start)
                await producer
                while len(received) < MESSAGES:
                    received.append(await live.next(30))
                await post_until_stored(api, token_for(0), order.id, "after the last")
                last = await live.next(20)
            reconnects = live.connects

    events = [item for item in received if isinstance(item, Event)]
    assert len(events) == MESSAGES, received
    assert [e.id for e in events] == [str(n) for n in range(1, MESSAGES + 1)]
    assert [e.data["body"] for e in events] == [f"message {n}" for n in range(1, MESSAGES + 1)]
    assert isinstance(last, Event) and last.id == str(MESSAGES + 1)  # nothing repeated before it
    assert reconnects >= 2
