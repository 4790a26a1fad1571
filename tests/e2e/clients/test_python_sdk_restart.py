"""The Python SDK across a server restart, on PostgreSQL + Redis: chat keeps flowing while the
server is stopped (or killed) and started again, and the app receives every message once, in
order.

Three people take turns writing (each user's chat has its own rate limit). The producer
retries each message with the same `Idempotency-Key` until the server answers, so no retry
makes a second message; the SDK must reconnect, resume with `since` and drop what it had
already handed over.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import httpx
import pytest
from washline_client import Event, LiveItem

from domain.roles import Role
from tests.support.journey import ADDRESS
from tests.support.sdk import post_until_stored, sdk_client
from tests.support.server import ServerProcess

MESSAGES = 24
RESTART_AFTER = 8


def restart(server: ServerProcess, how: str) -> None:
    """`stop`: SIGTERM, the server drains; `kill`: SIGKILL, no goodbye. Then the same port."""
    if how == "kill":
        server.signal(signal.SIGKILL)
        server.wait(timeout=10)
    else:
        server.stop()
    server.start()


@pytest.mark.parametrize("how", ["stop", "kill"])
@pytest.mark.parametrize("transport", ["ws", "sse"])
async def test_no_message_is_lost_or_repeated_across_a_restart(
    transport: str, how: str, start_server: Any, postgres_url: str, clean_redis_url: str
) -> None:
    """A killed server may leave a message half-answered (stored, its answer lost, its key
    still claimed), so the truth is the chat history the server keeps: the app must have
    received exactly it. A drained server answers everything: then it is every message."""
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

                async def write(n: int, body: str) -> bool:
                    token = writers[n % len(writers)]
                    return await post_until_stored(api, token, order.id, body, after_a_crash=True)

                for n in range(1, RESTART_AFTER + 1):
                    assert await write(n, f"message {n}")
                while len(received) < RESTART_AFTER:
                    received.append(await live.next(20))

                async def produce_the_rest() -> None:
                    for n in range(RESTART_AFTER + 1, MESSAGES + 1):
                        await write(n, f"message {n}")
                        await asyncio.sleep(0.05)

                producer = asyncio.create_task(produce_the_rest())
                await asyncio.sleep(0.2)  # a few messages in flight when the server goes
                await asyncio.to_thread(restart, server, how)
                await producer
                history = await customer.messages(order.id, after=0, limit=100)
                stored = [(str(m.seq), m.body) for m in history.items]
                while len(received) < len(stored):
                    received.append(await live.next(30))
                assert await write(0, "after the last")
                last = await live.next(20)
            reconnects = live.connects

    events = [item for item in received if isinstance(item, Event)]
    assert [(e.id, e.data["body"]) for e in events] == stored
    assert isinstance(last, Event) and last.id == str(len(stored) + 1)  # nothing repeated
    assert len(stored) == MESSAGES if how == "stop" else len(stored) >= MESSAGES - 1
    assert reconnects >= 2
