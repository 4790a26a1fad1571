"""`reset` reaches the app: a resume the server can no longer serve (the history it names is
gone) is handed over as a `Reset` item and to `on_reset`, and the events that follow still
arrive."""

from __future__ import annotations

from typing import Any

import pytest
from washline_client import LiveError, Reset

from domain.roles import Role
from tests.support.journey import ADDRESS
from tests.support.sdk import next_event, sdk_client


@pytest.mark.parametrize("transport", ["ws", "sse"])
async def test_a_lost_history_is_handed_to_the_app_as_reset(
    transport: str, start_server: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url)
    async with (
        sdk_client(server, postgres_url, Role.ADMIN) as admin,
        sdk_client(server, postgres_url, Role.CUSTOMER) as customer,
    ):
        resets: list[Reset] = []
        channel = f"user:{customer.user.id}"
        async with customer.live(transport=transport, on_reset=resets.append) as live:  # type: ignore[arg-type]
            await live.subscribe(channel, since="7-lostepoch")
            assert await live.next(20) == Reset(channel)

            package = await admin.call(
                "POST",
                "/api/packages",
                {"name": "R", "base_price_cents": 900, "duration_minutes": 9},
            )
            vehicle = await customer.add_vehicle("Kia", "Rio", "RST-2", "small")
            order = await customer.book(vehicle_id=vehicle.id, package_id=package["id"], **ADDRESS)
            await admin.transition(order.id, "cancelled", reason="test")
            after = await next_event(live, "order.status")  # the customer is told
        assert after.channel == channel and after.data["status"] == "cancelled"
        assert resets == [Reset(channel)]


async def test_a_refused_subscribe_raises_with_the_servers_code(
    start_server: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url)
    async with (
        sdk_client(server, postgres_url, Role.CUSTOMER) as customer,
        customer.live(transport="ws") as live,
    ):
        with pytest.raises(LiveError) as refused:
            await live.subscribe("ops")
        assert refused.value.code == "forbidden"
        assert "ops" not in live.channels
