"""The SDK as a program acting for several people uses it (the city simulator): one client
per person on one shared connection pool, each with their own tokens; registration,
admin-made washers, quotes and bookings; refusals carrying status, code and message."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from washline_client import ApiError, WashlineClient

from domain.roles import Role
from tests.support.database import PASSWORD
from tests.support.journey import ADDRESS
from tests.support.sdk import sdk_client

NEW_PASSWORD = "a-long-enough-pass-9"


async def test_clients_sharing_one_pool_each_act_as_their_own_user(
    start_server: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url)
    sent: list[str] = []

    async def seen(request: httpx.Request) -> None:
        sent.append(request.headers.get("authorization", ""))

    async with (
        sdk_client(server, postgres_url, Role.ADMIN) as admin,
        httpx.AsyncClient(base_url=server.base_url, event_hooks={"request": [seen]}) as pool,
    ):
        assert await admin.health()
        package = await admin.call(
            "POST",
            "/api/packages",
            {"name": "Pool", "base_price_cents": 1500, "duration_minutes": 20},
        )
        washer_email = "pool-washer@e2e.test"
        made = await admin.create_washer(washer_email, NEW_PASSWORD, "Pool Washer")
        assert made.email == washer_email and made.is_active
        assert washer_email in {w.email for w in await admin.washers(limit=100)}
        with pytest.raises(ApiError) as again:
            await admin.create_washer(washer_email, NEW_PASSWORD, "Pool Washer")
        assert (again.value.status, again.value.code) == (409, "email_taken")
        assert again.value.message

        async with (
            WashlineClient(server.base_url, http=pool) as customer,
            WashlineClient(server.base_url, http=pool) as washer,
        ):
            me = await customer.register("pool-customer@e2e.test", NEW_PASSWORD, "Pool Customer")
            assert me.role == "customer"
            with pytest.raises(ApiError) as taken:
                await WashlineClient(server.base_url, http=pool).register(
                    "pool-customer@e2e.test", NEW_PASSWORD, "Pool Customer"
                )
            assert (taken.value.status, taken.value.code) == (409, "email_taken")
            assert (await washer.login(washer_email, NEW_PASSWORD)).role == "washer"

            vehicle = await customer.add_vehicle("Fiat", "Uno", "POOL-1", "small", color="red")
            assert [v.id for v in await customer.vehicles()] == [vehicle.id]
            quote = await customer.quote(
                vehicle_id=vehicle.id,
                package_id=package["id"],
                lat=ADDRESS["lat"],
                lng=ADDRESS["lng"],
            )
            assert quote.price_cents >= 1 and quote.multiplier >= 1.0
            order = await customer.book(
                vehicle_id=vehicle.id, package_id=package["id"], quote_id=quote.quote_id, **ADDRESS
            )
            assert order.price_cents == quote.price_cents
            page = await customer.orders(status=["pending"])
            assert [o.id for o in page.items] == [order.id] and page.total == 1
            assert (await washer.orders()).items == []  # a washer sees only their own
            profile = await washer.washer_profile()
            assert profile.id == washer.user.id
            with pytest.raises(ApiError) as forbidden:
                await washer.washers()
            assert forbidden.value.status == 403

        # Both clients sent on the one pool, each with its own token, and left it open.
        tokens = {header for header in sent if header}
        assert len(tokens) >= 2
        assert not pool.is_closed


async def test_a_refusal_carries_the_servers_status_code_and_message(
    start_server: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url)
    async with WashlineClient(server.base_url) as client:
        with pytest.raises(ApiError) as refused:
            await client.login("nobody@e2e.test", PASSWORD)
        assert refused.value.status == 401
        assert refused.value.code
        assert refused.value.message
        assert refused.value.retry_after is None
