"""Token upkeep in the Python SDK against a server whose access tokens live 8 seconds: the
SDK refreshes ahead of expiry, a WebSocket stays open by re-authenticating with `auth`, and an
SSE stream the server ends at expiry comes back from where it was, with nothing lost."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from washline_client import Event, TokenPair

from domain.roles import Role
from tests.support.journey import ADDRESS
from tests.support.sdk import sdk_client

TOKEN_SECONDS = "8"
ROTATIONS = 2
"""Refreshes to wait for: the connection must outlive several token lifetimes."""


@pytest.mark.parametrize("transport", ["ws", "sse"])
async def test_a_live_connection_outlives_its_access_tokens(
    transport: str, start_server: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url, ACCESS_TOKEN_TTL_SECONDS=TOKEN_SECONDS)
    async with (
        sdk_client(server, postgres_url, Role.ADMIN) as admin,
        sdk_client(server, postgres_url, Role.CUSTOMER) as customer,
    ):
        package = await admin.call(
            "POST", "/api/packages", {"name": "Tok", "base_price_cents": 900, "duration_minutes": 9}
        )
        vehicle = await customer.add_vehicle("Fiat", "Uno", "TOK-1", "small")
        order = await customer.book(vehicle_id=vehicle.id, package_id=package["id"], **ADDRESS)
        chat = f"order:{order.id}:chat"
        rotated: list[TokenPair] = []
        enough = asyncio.Event()

        async def count(pair: TokenPair) -> None:
            rotated.append(pair)
            if len(rotated) >= ROTATIONS:
                enough.set()

        customer.tokens.on_refresh(count)
        first_token = customer.tokens.pair.access_token
        async with customer.live(transport=transport) as live:  # type: ignore[arg-type]
            await live.subscribe(chat, since="0")
            bodies = []
            for n in range(ROTATIONS + 1):
                await admin.send_message(order.id, f"note {n}")  # admins' tokens rotate too
                event = await live.next(20)
                assert isinstance(event, Event)
                bodies.append(event.data["body"])
                if n == 0:
                    await asyncio.wait_for(enough.wait(), 30)
            connects = live.connects
        assert bodies == [f"note {n}" for n in range(ROTATIONS + 1)]
        assert customer.tokens.pair.access_token != first_token
        assert len({pair.refresh_token for pair in rotated}) == len(rotated)
        if transport == "ws":
            assert connects == 1  # re-authenticated in place, never dropped
        else:
            assert connects >= 2  # the server ended the stream at expiry; it came back
