"""The whole journey of a wash, end to end, on PostgreSQL + Redis and on the embedded default.

A customer holds a WebSocket and an SSE stream, two washers hold WebSockets, an admin the
admin stream. The nearest washer gets the offer, drives (location fixes move the customer's
track and ETA), the geofence marks the arrival, the wash completes, both sides chat.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.geo import LatLng
from domain.roles import Role
from tests.support.journey import ADDRESS, book_order, move
from tests.support.live import SseReader, live_client

DESTINATION = LatLng(ADDRESS["lat"], ADDRESS["lng"])
NEAR_START = LatLng(DESTINATION.lat + 0.0045, DESTINATION.lng)  # ~500 m north
FAR_START = LatLng(DESTINATION.lat - 0.045, DESTINATION.lng)  # ~5 km south, in the service area


def fix(position: LatLng, seconds_ago: float) -> dict[str, Any]:
    ts = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return {
        "op": "location",
        "lat": position.lat,
        "lng": position.lng,
        "ts": ts.isoformat(),
        "speed": 8.0,
        "accuracy": 5.0,
    }


@pytest.fixture(params=["postgresql+redis", "embedded"])
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    if request.param == "embedded":
        return request.getfixturevalue("sqlite_url"), ""
    return request.getfixturevalue("postgres_url"), request.getfixturevalue("clean_redis_url")


async def test_a_wash_from_booking_to_review(
    backend: tuple[str, str], start_server: Any, make_account: Any, http: Any
) -> None:
    database_url, redis_url = backend
    began = datetime.now(UTC)

    def at(position: LatLng, offset: float) -> dict[str, Any]:
        """A fix stamped `offset` seconds after the test began (negative: before)."""
        return fix(position, (datetime.now(UTC) - began).total_seconds() - offset)

    server = start_server(database_url, redis_url, DISPATCH_INTERVAL_SECONDS="0.5")
    api = http(server)
    admin = await make_account(server, database_url, Role.ADMIN)
    customer = await make_account(server, database_url, Role.CUSTOMER)
    near = await make_account(server, database_url, Role.WASHER, "near")
    far = await make_account(server, database_url, Role.WASHER, "far")
    for washer in (near, far):
        response = await api.put(
            "/api/washers/me/availability", headers=washer.headers, json={"is_available": True}
        )
        assert response.status_code == 200, response.text

    admin_stream, my_stream = SseReader(), SseReader()
    streams = [
        asyncio.create_task(admin_stream.run(api, "/api/admin/stream", admin.headers)),
        asyncio.create_task(my_stream.run(api, "/api/me/events", customer.headers)),
    ]
    async with (
        live_client(server.ws_url, customer.token) as buyer,
        live_client(server.ws_url, near.token) as near_ws,
        live_client(server.ws_url, far.token) as far_ws,
    ):
        await near_ws.subscribe(f"user:{near.id}")
        await far_ws.subscribe(f"user:{far.id}")
        await buyer.subscribe(f"user:{customer.id}")
        assert (await near_ws.request(**at(NEAR_START, -20)))["ok"] is True
        assert (await far_ws.request(**at(FAR_START, -20)))["ok"] is True

        order = await book_order(api, api, customer.headers, admin.headers)
        order_id = order["id"]
        offer = await near_ws.wait_for(lambda f: f.get("event") == "dispatch.offer")
        assert offer["data"]["order_id"] == order_id
        assert not [f for f in far_ws.events() if f["event"] == "dispatch.offer"]
        assert (await api.get("/api/washers/me/offers", headers=far.headers)).json() == []
        assert (await api.get(f"/api/orders/{order_id}", headers=far.headers)).status_code == 404
        refused = await api.post(
            f"/api/orders/{order_id}/transitions", headers=far.headers, json={"to": "assigned"}
        )
        assert refused.status_code == 404

        await move(api, near.headers, order_id, "assigned")
        await buyer.subscribe(f"order:{order_id}", since="0")
        await buyer.subscribe(f"order:{order_id}:track")
        await buyer.subscribe(f"order:{order_id}:chat", since="0")
        await move(api, near.headers, order_id, "en_route")

        path = [LatLng(DESTINATION.lat + 0.0045 * k / 5, DESTINATION.lng) for k in (4, 3, 2, 1)]
        path.append(LatLng(DESTINATION.lat + 0.0002, DESTINATION.lng))  # ~22 m: inside
        for step, position in enumerate(path):
            reply = await near_ws.request(**at(position, -15 + 3 * step))
            assert reply["type"] == "reply", reply
            await asyncio.sleep(0.25)  # a phone's pace: never throttled
        track = await buyer.wait_events(f"order:{order_id}:track", 1)
        statuses = await buyer.wait_events(f"order:{order_id}", 4)
        assert statuses[-1]["data"]["status"] == "arrived"
        assert statuses[-1]["data"]["actor_role"] == "system"
        etas = [e["data"]["eta_seconds"] for e in buyer.events(f"order:{order_id}:track")]
        assert etas and all(isinstance(e, int) for e in etas)
        assert (
            track[0]["data"]["distance_m"]
            > buyer.events(f"order:{order_id}:track")[-1]["data"]["distance_m"]
        )

        await move(api, near.headers, order_id, "in_progress")
        await move(api, near.headers, order_id, "completed")
        review = await api.post(
            f"/api/orders/{order_id}/review",
            headers=customer.headers,
            json={"stars": 5, "comment": "spotless"},
        )
        assert review.status_code == 201, review.text

        sent = await buyer.request("chat", order_id=order_id, body="thanks, looks great")
        assert sent["ok"] is True
        answer = await api.post(
            f"/api/orders/{order_id}/messages", headers=near.headers, json={"body": "glad to help"}
        )
        assert answer.status_code == 201, answer.text
        chat = await buyer.wait_events(f"order:{order_id}:chat", 2)
        assert [(m["id"], m["data"]["body"]) for m in chat] == [
            ("1", "thanks, looks great"),
            ("2", "glad to help"),
        ]
        read = await api.post(
            f"/api/orders/{order_id}/messages/read", headers=near.headers, json={"up_to": 2}
        )
        assert read.json()["last_read_seq"] == 2
        receipt = await buyer.wait_for(lambda f: f.get("event") == "chat.read")
        assert receipt["data"]["user_id"] == near.id
        history = (
            await api.get(f"/api/orders/{order_id}/messages", headers=customer.headers)
        ).json()
        assert [m["seq"] for m in history["items"]] == [2, 1]
        assert {r["user_id"]: r["last_read_seq"] for r in history["receipts"]} == {near.id: 2}

        statuses = await buyer.wait_events(f"order:{order_id}", 6)
        assert [e["data"]["status"] for e in statuses] == [
            "pending",
            "assigned",
            "en_route",
            "arrived",
            "in_progress",
            "completed",
        ]
        await admin_stream.wait_count(6)
        await my_stream.wait_count(5)
    for task in streams:
        task.cancel()
    ops_statuses = [
        d["data"]["status"] for _, e, d in admin_stream.events if e.startswith("order.")
    ]
    assert ops_statuses[:6] == [
        "pending",
        "assigned",
        "en_route",
        "arrived",
        "in_progress",
        "completed",
    ]
    unread = (await api.get("/api/me/notifications/unread-count", headers=customer.headers)).json()
    assert unread["unread"] >= 6
    newest = (await api.get("/api/me/notifications", headers=customer.headers)).json()[0]["id"]
    marked = await api.post(
        "/api/me/notifications/read", headers=customer.headers, json={"up_to_id": newest}
    )
    assert marked.json() == {"unread": 0}
    for _ in range(100):  # track points are written in batches, every couple of seconds
        profile = (await api.get(f"/api/washers/{near.id}", headers=admin.headers)).json()
        if profile["last_lat"] is not None and abs(profile["last_lat"] - path[-1].lat) < 1e-9:
            break  # an earlier batch may hold only the earlier fixes: wait for the last one
        await asyncio.sleep(0.2)
    assert profile["rating_count"] == 1
    assert abs(profile["last_lat"] - path[-1].lat) < 1e-9


async def test_strangers_and_bad_fixes_are_refused(
    start_server: Any, make_account: Any, http: Any, sqlite_url: str
) -> None:
    server = start_server(sqlite_url)
    api = http(server)
    admin = await make_account(server, sqlite_url, Role.ADMIN)
    customer = await make_account(server, sqlite_url, Role.CUSTOMER)
    stranger = await make_account(server, sqlite_url, Role.CUSTOMER, "stranger")
    washer = await make_account(server, sqlite_url, Role.WASHER)
    order = await book_order(api, api, customer.headers, admin.headers)
    order_id = order["id"]
    await move(api, admin.headers, order_id, "assigned", washer_id=washer.id)

    async with live_client(server.ws_url, stranger.token) as nosy:
        for channel in (f"order:{order_id}", f"order:{order_id}:track", f"order:{order_id}:chat"):
            assert (await nosy.subscribe(channel))["code"] == "forbidden"
        assert (await nosy.request("chat", order_id=order_id, body="hi"))["code"] == "forbidden"
        assert (await nosy.request(**fix(DESTINATION, 1)))["code"] == "forbidden"
    posted = await api.post(
        f"/api/orders/{order_id}/messages", headers=stranger.headers, json={"body": "hi"}
    )
    assert posted.status_code == 404

    async with live_client(server.ws_url, washer.token) as phone:
        assert (await phone.request(**fix(NEAR_START, 30)))["ok"] is True
        older = await phone.request(**fix(NEAR_START, 40))
        assert (older["code"], older["reason"]) == ("invalid_fix", "out_of_order")
        teleport = await phone.request(**fix(FAR_START, 29))
        assert teleport["reason"] == "implausible_speed"
        future = await phone.request(**fix(NEAR_START, -60))
        assert future["reason"] == "from_future"
    batch = await api.post(
        "/api/washers/me/location",
        headers=washer.headers,
        json={
            "fixes": [
                {
                    "lat": NEAR_START.lat,
                    "lng": NEAR_START.lng,
                    "ts": (datetime.now(UTC) - timedelta(seconds=20)).isoformat(),
                },
                {
                    "lat": NEAR_START.lat,
                    "lng": NEAR_START.lng,
                    "ts": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
                },
            ]
        },
    )
    body = batch.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert [r["reason"] for r in body["results"]] == [None, "from_future"]
    customer_fix = await api.post(
        "/api/washers/me/location",
        headers=customer.headers,
        json={"fixes": [{"lat": 1.0, "lng": 1.0, "ts": datetime.now(UTC).isoformat()}]},
    )
    assert customer_fix.status_code == 403
