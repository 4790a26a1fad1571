"""A PostgreSQL outage under live connections: a real throwaway PostgreSQL is halted while a
real uvicorn server holds real WebSocket and SSE clients.

Sockets stay open (ops that need the database answer `database_unavailable`), location,
typing and presence keep flowing, the background workers live through it, and when the
database is back the outbox delivers what was committed before and after, in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

import app.live.ops
from app.bootstrap import Washline
from app.live.history import DatabaseHistory
from domain.geo import LatLng
from domain.roles import Role
from persistence.database import create_engine, create_session_factory
from persistence.migrate import upgrade
from realtime.broker import BrokerUnavailable
from tests.e2e.streams import eventually, sse_stream
from tests.support.api import ApiUser, login
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.journey import ADDRESS, book_order, move
from tests.support.live import Frame, LiveClient, live_client
from tests.support.polling import poll_until
from tests.support.services import ThrowawayPostgres, ThrowawayRedis

pytestmark = pytest.mark.postgres

DESTINATION = LatLng(ADDRESS["lat"], ADDRESS["lng"])
OUTAGE_WITHIN = 30.0
"""Bound on waiting for a worker to notice the outage or its end (backoffs cap at 10 s)."""


@pytest.fixture
def postgres() -> Iterator[ThrowawayPostgres]:
    with ThrowawayPostgres() as server:
        upgrade(server.url)
        yield server


@pytest.fixture
def redis() -> Iterator[ThrowawayRedis]:
    with ThrowawayRedis() as server:
        yield server


@pytest.fixture
def database_url(postgres: ThrowawayPostgres) -> str:
    return postgres.url


@pytest.fixture
def settings_overrides(redis: ThrowawayRedis) -> dict[str, object]:
    return {"redis_url": redis.url}


@dataclass
class Cast:
    admin: ApiUser
    customer: ApiUser
    washer: ApiUser
    order_id: int


@pytest.fixture
async def api(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=10.0) as client:
        yield client


@pytest.fixture
async def cast(api: httpx.AsyncClient, database_url: str) -> Cast:
    """An admin, a customer, a washer, and the customer's order assigned to the washer."""
    settings = settings_for(database_url)
    users: dict[Role, ApiUser] = {}
    for role in (Role.ADMIN, Role.CUSTOMER, Role.WASHER):
        email = f"{role.value}@example.test"
        await add_user(settings, email, role, role.value.title())
        users[role] = await login(api, email, PASSWORD)
    admin, customer, washer = users[Role.ADMIN], users[Role.CUSTOMER], users[Role.WASHER]
    order = await book_order(api, api, customer.headers, admin.headers)
    await move(api, admin.headers, order["id"], "assigned", washer_id=washer.id)
    return Cast(admin, customer, washer, order["id"])


def fix(north_m: float, seconds_ago: float = 0.0) -> dict[str, Any]:
    """A location op `north_m` metres north of the order's address, taken `seconds_ago`."""
    return {
        "op": "location",
        "lat": round(DESTINATION.lat + north_m / 111_320, 6),
        "lng": DESTINATION.lng,
        "ts": (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat(),
        "speed": 8.0,
        "accuracy": 5.0,
    }


async def track_point(client: LiveClient, order_id: int, lat: float) -> Frame:
    channel = f"order:{order_id}:track"
    return await client.wait_for(
        lambda f: f.get("type") == "event" and f["channel"] == channel and f["data"]["lat"] == lat,
        timeout=10,
    )


def statuses(client: LiveClient, order_id: int) -> list[str]:
    """The order's status changes the client got, in arrival order."""
    events = client.events(f"order:{order_id}")
    return [e["data"]["status"] for e in events if e["event"] == "order.status"]


async def test_sockets_stay_open_and_live_traffic_flows_while_postgres_is_down(
    server: str,
    api: httpx.AsyncClient,
    cast: Cast,
    postgres: ThrowawayPostgres,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Typing re-checks participation at every op, so the outage path is the one taken.
    monkeypatch.setattr(app.live.ops, "TYPING_ACCESS_SECONDS", 0.0)
    order_id, ws = cast.order_id, f"ws://{server}/ws"
    await move(api, cast.washer.headers, order_id, "en_route")
    # From the order's first event: `en_route` was published before the stream opened.
    sse_url = f"/api/orders/{order_id}/events?last_event_id=order:{order_id}@0"
    async with (
        live_client(ws, cast.customer.access_token) as buyer,
        live_client(ws, cast.washer.access_token) as phone,
        sse_stream(f"http://{server}", sse_url, cast.customer.headers) as (stream, _),
    ):
        for channel in (f"order:{order_id}", f"order:{order_id}:track"):
            assert (await buyer.subscribe(channel, since="0"))["type"] == "reply"
        assert (await phone.subscribe(f"order:{order_id}:chat"))["type"] == "reply"
        first = fix(400, seconds_ago=60)
        assert (await phone.request(**first))["type"] == "reply"
        await track_point(buyer, order_id, first["lat"])
        assert (await buyer.request("typing", order_id=order_id))["type"] == "reply"
        await eventually(lambda: _has_status(stream, "en_route"))

        postgres.halt()

        # Ops that need the database are refused, retryably, and the connection stays.
        sent = await buyer.request("chat", order_id=order_id, body="are you close?")
        assert (sent["type"], sent["code"]) == ("error", "database_unavailable"), sent
        assert sent["retry_after"] >= 1
        joined = await buyer.subscribe(f"order:{order_id}:chat")
        assert (joined["type"], joined["code"]) == ("error", "database_unavailable"), joined
        opened = await api.get(sse_url, headers=cast.customer.headers)  # a new order stream
        assert opened.status_code == 503, opened.text
        assert opened.json()["code"] == "database_unavailable"

        # Live traffic that needs no database keeps flowing.
        during = fix(395, seconds_ago=50)
        moved = await phone.request(**during)
        assert moved["type"] == "reply", moved  # accepted, or coalesced and sent shortly
        point = await track_point(buyer, order_id, during["lat"])
        assert point["data"]["status"] == "en_route"
        inside = fix(40, seconds_ago=10)  # inside the geofence: the arrival must wait
        assert (await phone.request(**inside))["type"] == "reply"
        await track_point(buyer, order_id, inside["lat"])
        typed = await buyer.request("typing", order_id=order_id)
        assert typed["type"] == "reply", typed
        await phone.wait_for(
            lambda f: f.get("event") == "chat.typing" and f["data"]["user_id"] == cast.customer.id
        )
        async with live_client(ws, cast.washer.access_token) as second_phone:
            assert (await second_phone.request("ping"))["pong"] is True
            online = await api.get("/api/admin/washers/online", headers=cast.admin.headers)
            assert online.status_code == 200, online.text
            assert {"user_id": cast.washer.id, "connections": 2} in online.json()["washers"]

        postgres.resume()

        # Everything comes back on the same connections; the next fix inside the geofence
        # records the arrival that had to wait.
        assert (await phone.request(**fix(35)))["type"] == "reply"
        arrived = await buyer.wait_for(
            lambda f: f.get("event") == "order.status" and _is(f, "arrived")
        )
        assert arrived["data"]["actor_role"] == "system"
        await eventually(lambda: _has_status(stream, "arrived"))
        assert (await buyer.subscribe(f"order:{order_id}:chat"))["type"] == "reply"
        sent = await buyer.request("chat", order_id=order_id, body="see you")
        assert sent["type"] == "reply", sent
        assert buyer.close_code is None and phone.close_code is None
        assert not stream.ended.is_set()


def _is(frame: Frame, status: str) -> bool:
    return bool(frame["data"].get("status") == status)


async def _has_status(stream: Any, status: str) -> bool:
    return any(data.get("data", {}).get("status") == status for _, _, data in stream.events)


async def test_outbox_catches_up_in_order_and_workers_survive_the_outage(
    server: str,
    api: httpx.AsyncClient,
    cast: Cast,
    washline: Washline,
    postgres: ThrowawayPostgres,
) -> None:
    order_id, runtime, flows = cast.order_id, washline.runtime, washline.flows
    flows.jobs.ttl = 0.0  # every fix asks the database: during the outage, the stale answer
    async with (
        live_client(f"ws://{server}/ws", cast.customer.access_token) as buyer,
        live_client(f"ws://{server}/ws", cast.washer.access_token) as phone,
    ):
        assert (await buyer.subscribe(f"order:{order_id}", since="0"))["type"] == "reply"
        await buyer.wait_for(lambda f: f.get("event") == "order.status" and _is(f, "assigned"))

        # Committed while the relay is held back: in the outbox, not yet on the wire.
        await runtime.relay.stop()
        await move(api, cast.washer.headers, order_id, "en_route")
        assert (await phone.request(**fix(605)))["type"] == "reply"  # the job is known now
        postgres.halt()
        runtime.relay.start()

        refused = await api.post(
            f"/api/orders/{order_id}/transitions",
            headers=cast.washer.headers,
            json={"to": "arrived"},
        )
        assert refused.status_code == 503, refused.text
        during = fix(600)  # a track point of the order, for the database, which is away
        assert (await phone.request(**during))["type"] == "reply"
        # The fix's order comes from the last known answer (a coalesced fix is processed later).
        await eventually(lambda: _true(flows.jobs.stale_answers >= 1))
        workers = {
            "relay": runtime.relay.outage,
            "dispatch": flows.dispatcher.outage,
            "track writer": flows.track_sink.outage,
        }
        for name, outage in workers.items():
            await eventually(lambda o=outage: _true(o.ongoing), timeout=OUTAGE_WITHIN)
            assert outage.outages == 1, name

        postgres.resume()

        for outage in workers.values():
            await eventually(lambda o=outage: _true(not o.ongoing), timeout=OUTAGE_WITHIN)
        await move(api, cast.washer.headers, order_id, "arrived")
        await buyer.wait_for(lambda f: f.get("event") == "order.status" and _is(f, "arrived"))
        assert statuses(buyer, order_id) == ["assigned", "en_route", "arrived"]
        ids = [int(e["id"].partition("-")[0]) for e in buyer.events(f"order:{order_id}")]
        assert ids == sorted(set(ids)), ids

        track = await poll_until(
            lambda: _track(api, cast.customer.headers, order_id),
            lambda points: during["lat"] in points,
            within=OUTAGE_WITHIN,
        )
        assert during["lat"] in track
        assert runtime.relay.running and flows.dispatcher.running
        assert flows.track_sink.running and washline.kpis.running
        assert buyer.close_code is None and phone.close_code is None


async def _true(value: bool) -> bool:
    return value


async def _track(api: httpx.AsyncClient, headers: dict[str, str], order_id: int) -> list[float]:
    response = await api.get(f"/api/orders/{order_id}/track", headers=headers)
    assert response.status_code == 200, response.text
    return [point["lat"] for point in response.json()]


async def test_history_from_the_database_reads_as_unavailable_while_postgres_is_down(
    postgres: ThrowawayPostgres,
) -> None:
    """The hub retries a catch-up whose history is unavailable; any other error would leave
    the subscription buffering for good."""
    engine = create_engine(postgres.url)
    history = DatabaseHistory(create_session_factory(engine))
    try:
        assert await history.events_after("order:1", 0, 10) == []
        postgres.halt()
        with pytest.raises(BrokerUnavailable):
            await history.events_after("order:1", 0, 10)
        postgres.resume()
        assert await history.events_after("order:1", 0, 10) == []
    finally:
        await engine.dispose()
