"""`transport="auto"` in the Python SDK: when the WebSocket handshake is refused (here the
server refuses the client's origin, as a proxy that drops WebSockets would refuse it), the SDK
follows the same channels over SSE, and live ops say they need the socket."""

from __future__ import annotations

import functools
from typing import Any

import httpx
import pytest
import websockets
from washline_client import Event, NotConnected
from washline_client import ws as sdk_ws

from domain.roles import Role
from tests.support.journey import ADDRESS
from tests.support.sdk import post_until_stored, sdk_client

FOREIGN_ORIGIN = "https://elsewhere.example"


async def test_a_refused_handshake_falls_back_to_sse(
    start_server: Any, postgres_url: str, clean_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_server(postgres_url, clean_redis_url, WS_ALLOWED_ORIGINS="https://app.example")
    # The SDK's socket presents an origin the server does not allow: refused with 403.
    monkeypatch.setattr(
        sdk_ws.websockets, "connect", functools.partial(websockets.connect, origin=FOREIGN_ORIGIN)
    )
    async with (
        sdk_client(server, postgres_url, Role.ADMIN) as admin,
        sdk_client(server, postgres_url, Role.CUSTOMER) as customer,
    ):
        package = await admin.call(
            "POST", "/api/packages", {"name": "F", "base_price_cents": 900, "duration_minutes": 9}
        )
        vehicle = await customer.add_vehicle("Opel", "Corsa", "FB-1", "small")
        order = await customer.book(vehicle_id=vehicle.id, package_id=package["id"], **ADDRESS)
        async with customer.live() as live:
            await live.subscribe(f"order:{order.id}", since="0")
            await live.subscribe(f"order:{order.id}:chat", since="0")
            created = await live.next(20)
            async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as api:
                token = admin.tokens.pair.access_token
                assert await post_until_stored(api, token, order.id, "over sse")
            message = await live.next(20)
            with pytest.raises(NotConnected):
                await live.request("ping")
            transport = live.transport
    assert transport == "sse"
    assert isinstance(created, Event) and created.data["status"] == "pending"
    assert isinstance(message, Event) and message.data["body"] == "over sse"
