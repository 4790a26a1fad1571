"""The share link's SSE stream (`/api/share/{token}/events`) on a real server, embedded
(SQLite + in-process broker) and on PostgreSQL + Redis: a recipient without an account gets
the snapshot, the washer's fixes and the status as they happen, cut down to what a recipient
may see, and a last `end` event when the order finishes or the link is revoked; an address
holds only so many such streams open at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from washline_client import ShareLink, WashlineClient

from domain.roles import Role
from tests.e2e.streams import eventually, sse_stream
from tests.support.database import truncate_all
from tests.support.journey import ADDRESS
from tests.support.sdk import sdk_client

PRIVATE_KEYS = {"customer_id", "washer_id", "order_id", "price_cents", "address", "actor_id"}


def keys_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


async def assigned_order(
    admin: WashlineClient, customer: WashlineClient, washer: WashlineClient
) -> int:
    package = await admin.call(
        "POST", "/api/packages", {"name": "Share", "base_price_cents": 1200, "duration_minutes": 9}
    )
    vehicle = await customer.add_vehicle("Fiat", "Panda", "SHR-1", "small")
    order = await customer.book(vehicle_id=vehicle.id, package_id=package["id"], **ADDRESS)
    await admin.transition(order.id, "assigned", washer_id=washer.user.id)
    return order.id


@pytest.fixture(params=["embedded", "postgres"])
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(database URL, Redis URL): SQLite with the in-process broker, or PostgreSQL + Redis."""
    if request.param == "embedded":
        return request.getfixturevalue("sqlite_url"), ""
    return request.getfixturevalue("e2e_postgres_url"), request.getfixturevalue("clean_redis_url")


async def test_a_recipient_follows_the_wash_to_its_end(
    backend: tuple[str, str], start_server: Any
) -> None:
    database_url, redis_url = backend
    if redis_url:
        await truncate_all(database_url)
    server = start_server(database_url, redis_url)
    async with (
        sdk_client(server, database_url, Role.ADMIN) as admin,
        sdk_client(server, database_url, Role.CUSTOMER, "Carla") as customer,
        sdk_client(server, database_url, Role.WASHER, "Wanda") as washer,
    ):
        order_id = await assigned_order(admin, customer, washer)
        link = await customer.call("POST", f"/api/orders/{order_id}/share")
        url = f"/api/share/{link['token']}/events"
        async with sse_stream(server.base_url, url, {}) as (reader, _):
            await reader.wait_count(1)
            await washer.transition(order_id, "en_route")
            fix = {
                "lat": ADDRESS["lat"] + 0.02,
                "lng": ADDRESS["lng"],
                "ts": (datetime.now(UTC) - timedelta(seconds=2)).isoformat(),
                "speed": 10.0,
            }
            await washer.call("POST", "/api/washers/me/location", {"fixes": [fix]})
            await reader.wait_count(3)
            for status in ("arrived", "in_progress", "completed"):
                await washer.transition(order_id, status)
            await reader.ended.wait()

    names = [name for _, name, _ in reader.events]
    assert reader.status == 200
    assert names[0] == "share.snapshot" and names[-1] == "end"
    snapshot = reader.events[0][2]
    assert snapshot["status"] == "assigned"
    assert snapshot["destination"] == {
        "lat": round(ADDRESS["lat"], 3),
        "lng": round(ADDRESS["lng"], 3),
    }
    statuses = [data["status"] for _, name, data in reader.events if name == "share.status"]
    assert statuses == ["en_route", "arrived", "in_progress", "completed"]
    located = [data for _, name, data in reader.events if name == "share.location"]
    assert len(located) == 1 and located[0]["lat"] == pytest.approx(fix["lat"])
    assert located[0]["eta_seconds"] > 0
    assert reader.events[-1][2]["code"] == "share_ended"
    for _, _, data in reader.events:
        assert not keys_of(data) & PRIVATE_KEYS
        assert "Carla" not in str(data) and "Wanda" not in str(data)
        assert not any("name" in key for key in keys_of(data))


async def test_a_revoked_link_ends_its_open_stream(
    start_server: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url)
    async with (
        sdk_client(server, postgres_url, Role.ADMIN) as admin,
        sdk_client(server, postgres_url, Role.CUSTOMER) as customer,
        sdk_client(server, postgres_url, Role.WASHER) as washer,
    ):
        order_id = await assigned_order(admin, customer, washer)
        link = await customer.share(order_id)
        assert isinstance(link, ShareLink) and link.url == f"/track/{link.token}"
        url = f"/api/share/{link.token}/events"
        async with sse_stream(server.base_url, url, {}) as (reader, _):
            await reader.wait_count(1)
            assert await customer.revoke_shares(order_id) == 1
            await reader.ended.wait()  # within the stream's re-check period
    assert [name for _, name, _ in reader.events] == ["share.snapshot", "end"]
    assert reader.events[-1][2]["code"] == "share_ended"


async def test_an_address_holds_only_so_many_share_streams_open(
    backend: tuple[str, str], start_server: Any
) -> None:
    database_url, redis_url = backend
    if redis_url:
        await truncate_all(database_url)
    server = start_server(database_url, redis_url, SHARE_MAX_STREAMS_PER_ADDRESS="2")
    async with (
        sdk_client(server, database_url, Role.ADMIN) as admin,
        sdk_client(server, database_url, Role.CUSTOMER) as customer,
        sdk_client(server, database_url, Role.WASHER) as washer,
    ):
        order_id = await assigned_order(admin, customer, washer)
        link = await customer.share(order_id)
    url = f"/api/share/{link.token}/events"
    async with (
        httpx.AsyncClient(base_url=server.base_url, timeout=10) as client,
        sse_stream(server.base_url, url, {}) as (first, _),
    ):
        await first.wait_count(1)
        async with sse_stream(server.base_url, url, {}) as (second, _):
            await second.wait_count(1)
            refused = await client.get(url)
            assert refused.status_code == 429
            assert refused.json()["code"] == "rate_limited"
            assert "2 open share streams" in refused.json()["message"]
            assert int(refused.headers["retry-after"]) >= 1
            # Reading the link once is still allowed: only streams are capped.
            assert (await client.get(f"/api/share/{link.token}")).status_code == 200

        async def reopened() -> bool:  # the closed stream's slot comes back
            async with client.stream("GET", url) as answer:
                return answer.status_code == 200

        await eventually(reopened)
