"""A whole wash driven through the Python SDK against a real server on PostgreSQL + Redis:
book, the dispatch offer accepted, the washer tracked, chat both ways, a resume after the
customer's app was closed, the review. Everything the test sees comes through the SDK."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from washline_client import (
    ApiError,
    ChatMessageData,
    Event,
    LocationData,
    LocationFix,
    LocationReply,
    OfferData,
    OrderStatusData,
)

from domain.roles import Role
from tests.support.journey import ADDRESS
from tests.support.sdk import ids, next_event, sdk_client, take

DEST_LAT, DEST_LNG = ADDRESS["lat"], ADDRESS["lng"]


def stamped(seconds_ago: float) -> datetime:
    """A fix's time, to the microsecond as the server keeps it."""
    return datetime.now(UTC) - timedelta(seconds=seconds_ago)


def stamp(seconds_ago: float) -> str:
    return stamped(seconds_ago).isoformat()


async def test_a_wash_from_booking_to_review_through_the_sdk(
    start_server: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url, DISPATCH_INTERVAL_SECONDS="0.5")
    async with (
        sdk_client(server, postgres_url, Role.ADMIN) as admin,
        sdk_client(server, postgres_url, Role.CUSTOMER) as customer,
        sdk_client(server, postgres_url, Role.WASHER) as washer,
    ):
        package = await admin.call(
            "POST",
            "/api/packages",
            {"name": "SDK wash", "base_price_cents": 2500, "duration_minutes": 30},
        )
        vehicle = await customer.add_vehicle("Volvo", "V70", "SDK-1", "medium")
        await washer.set_available(True)

        async with washer.live() as phone:
            await phone.subscribe(f"user:{washer.user.id}")
            fix = await phone.location(DEST_LAT + 0.0045, DEST_LNG, stamp(30), accuracy=5.0)
            assert fix["ok"] is True

            order = await customer.book(vehicle_id=vehicle.id, package_id=package["id"], **ADDRESS)
            assert order.status == "pending"
            offer = (await next_event(phone, "dispatch.offer")).payload
            assert isinstance(offer, OfferData)
            assert (offer.order_id, offer.status) == (order.id, "open")
            assert [o.offer_id for o in await washer.offers()] == [offer.offer_id]
            assigned = await washer.accept_offer(offer.offer_id, reason="on my way")
            assert (assigned.status, assigned.washer_id) == ("assigned", washer.user.id)
            with pytest.raises(ApiError) as refused:
                await washer.decline_offer(offer.offer_id)
            assert (refused.value.status, refused.value.code) == (409, "offer_unavailable")

            channel, track, chat = (f"order:{order.id}{s}" for s in ("", ":track", ":chat"))
            app = customer.live()
            await app.connect()
            await app.subscribe(channel, since="0")
            await app.subscribe(track)
            await app.subscribe(chat, since="0")
            statuses = await take(app, 2)
            assert [e.payload.status for e in statuses if isinstance(e, Event)] == [
                "pending",
                "assigned",
            ]

            await washer.transition(order.id, "en_route")
            moved = await next_event(app, "order.status")
            assert isinstance(moved.payload, OrderStatusData)
            assert moved.payload.status == "en_route"
            sent = LocationFix(DEST_LAT + 0.002, DEST_LNG, stamped(10), speed=9.0, accuracy=5.0)
            reply = await phone.send_fix(sent)
            assert isinstance(reply, LocationReply)
            assert (reply.status, reply.order_id) == ("accepted", order.id)
            assert reply.eta_seconds is not None and reply.eta_seconds > 0
            position = (await next_event(app, "order.location")).payload
            assert isinstance(position, LocationData)
            assert position.order_id == order.id and position.eta_seconds is not None
            assert (position.lat, position.speed, position.ts) == (round(sent.lat, 6), 9.0, sent.ts)

            seq = await app.chat(order.id, "the gate code is 42")
            await washer.send_message(order.id, "thanks, 2 minutes away")
            messages = [(await next_event(app, "chat.message")).payload for _ in range(2)]
            assert all(isinstance(m, ChatMessageData) for m in messages)
            assert [(m.seq, m.body) for m in messages] == [
                (seq, "the gate code is 42"),
                (seq + 1, "thanks, 2 minutes away"),
            ]
            history = await customer.messages(order.id)
            assert [m.seq for m in history.items] == [seq + 1, seq]

            # The customer closes the app; the wash goes on without it.
            positions = app.positions.snapshot()
            await app.close()
            for status in ("arrived", "in_progress", "completed"):
                await washer.transition(order.id, status)
            await washer.send_message(order.id, "all done")

        async with customer.live() as reopened:
            await reopened.subscribe(channel, since=positions[channel])
            await reopened.subscribe(chat, since=positions[chat])
            missed = await take(reopened, 4)
        events = [item for item in missed if isinstance(item, Event)]
        assert [(e.channel, e.event) for e in events] == [
            (channel, "order.status"),
            (channel, "order.status"),
            (channel, "order.status"),
            (chat, "chat.message"),
        ]
        assert ids(events) == ["4", "5", "6", str(seq + 2)]
        assert [e.payload.status for e in events[:3]] == ["arrived", "in_progress", "completed"]

        review = await customer.review(order.id, 5, "spotless")
        assert (review.order_id, review.stars, review.washer_id) == (order.id, 5, washer.user.id)
        with pytest.raises(ApiError) as again:
            await customer.review(order.id, 4)
        assert (again.value.status, again.value.code) == (409, "already_reviewed")
