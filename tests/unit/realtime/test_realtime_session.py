"""The transport-neutral live session on an in-process hub: subscribe rules and limits, token
expiry, caps, and access that follows an order's facts (its ops: test_realtime_session_ops)."""

from __future__ import annotations

import json
import time

import pytest

from domain.channels import chat_channel, order_channel, track_channel
from domain.orders import OrderFacts, OrderStatus
from domain.roles import Role
from realtime import protocol
from realtime.close_codes import (
    ACCESS_ENDED,
    TOO_MANY_CONNECTIONS,
    UNAUTHORIZED,
)
from realtime.envelope import Envelope
from realtime.frames import ClosingFrame
from realtime.hub import Hub
from realtime.session import LiveSession
from realtime.sessions import LiveSessions
from tests.unit.realtime.session_helpers import (
    CUSTOMER,
    ORDER,
    OTHER_WASHER,
    WASHER,
    OrderBook,
    Principal,
    Socketish,
    Streamish,
    drain,
    facts,
    frames,
    make_context,
    opened,
)


async def test_subscribe_applies_the_rule_and_refuses_without_saying_why(
    hub: Hub, book: OrderBook, sessions: LiveSessions
) -> None:
    context = make_context(hub, book, sessions)
    washer = await opened(context, WASHER, Role.WASHER)
    stranger = await opened(context, OTHER_WASHER, Role.WASHER)

    await washer.subscribe(f"order:{ORDER}:chat")
    with pytest.raises(protocol.ProtocolError) as refused:
        await stranger.subscribe(f"order:{ORDER}:chat", ref=5)
    with pytest.raises(protocol.ProtocolError) as missing:
        await stranger.subscribe("order:999")

    assert hub.subscriptions(washer.subscriber) == [f"order:{ORDER}:chat"]
    assert (refused.value.code, refused.value.ref) == ("forbidden", 5)
    assert missing.value.code == "forbidden"
    assert sessions.watchers(ORDER) == 1  # the refused session does not keep watching
    assert sessions.watchers(999) == 0


async def test_the_track_of_a_pending_order_is_refused_as_track_unavailable(
    hub: Hub, book: OrderBook, sessions: LiveSessions
) -> None:
    """As REST's `GET /api/orders/{id}/track` answers: the customer sees the order, not yet
    its track; a stranger is told only `forbidden`."""
    book.orders[ORDER] = facts(OrderStatus.PENDING, washer_id=None)
    context = make_context(hub, book, sessions)
    customer = await opened(context, CUSTOMER, Role.CUSTOMER)
    stranger = await opened(context, OTHER_WASHER, Role.WASHER)

    with pytest.raises(protocol.ProtocolError) as early:
        await customer.subscribe(f"order:{ORDER}:track", ref=1)
    with pytest.raises(protocol.ProtocolError) as refused:
        await stranger.subscribe(f"order:{ORDER}:track")

    assert (early.value.code, early.value.ref) == ("track_unavailable", 1)
    assert refused.value.code == "forbidden"


async def test_subscribe_limits_and_malformed_input(
    hub: Hub, book: OrderBook, sessions: LiveSessions
) -> None:
    session = await opened(make_context(hub, book, sessions), CUSTOMER, Role.CUSTOMER)
    for channel in (f"user:{CUSTOMER}", f"order:{ORDER}", f"order:{ORDER}:chat"):
        await session.subscribe(channel)
    codes = []
    for name, since in ((f"order:{ORDER}:track", None), ("order:x", None), ("ops", "nope")):
        with pytest.raises(protocol.ProtocolError) as refused:
            await session.subscribe(name, since)
        codes.append(refused.value.code)
    await session.subscribe(f"order:{ORDER}")  # resubscribing does not count twice

    assert codes == ["too_many_subscriptions", "bad_channel", "bad_since"]


async def test_a_released_washer_is_unsubscribed_and_told(
    hub: Hub, book: OrderBook, sessions: LiveSessions
) -> None:
    context = make_context(hub, book, sessions)
    washer = await opened(context, WASHER, Role.WASHER)
    customer = await opened(context, CUSTOMER, Role.CUSTOMER)
    for session in (washer, customer):
        await session.subscribe(f"order:{ORDER}")
        await session.subscribe(f"order:{ORDER}:chat")
    drain(washer)

    sessions.order_changed(facts(OrderStatus.PENDING, washer_id=None))
    await sessions.settled()
    await hub.publish(f"order:{ORDER}:chat", "chat.message", {"body": "still?"}, offset=1)

    told = frames(drain(washer))
    assert [(f["type"], f["channel"], f["code"]) for f in told] == [
        ("unsubscribed", f"order:{ORDER}", "forbidden"),
        ("unsubscribed", f"order:{ORDER}:chat", "forbidden"),
    ]
    assert hub.subscriptions(washer.subscriber) == []
    assert len(hub.subscriptions(customer.subscriber)) == 2
    assert any(isinstance(item, Envelope) for item in drain(customer))
    assert not washer.finished  # the connection itself stays up
    assert sessions.watchers(ORDER) == 1


async def test_an_event_older_than_the_facts_a_subscribe_read_changes_nothing(
    hub: Hub, book: OrderBook, sessions: LiveSessions
) -> None:
    """The outbox publishes after the commit: a washer who subscribes right after being
    assigned may read the order before the event of its creation (no washer yet) arrives."""
    book.orders[ORDER] = OrderFacts(ORDER, OrderStatus.ASSIGNED, CUSTOMER, WASHER, seq=2)
    context = make_context(hub, book, sessions)
    washer = await opened(context, WASHER, Role.WASHER)
    await washer.subscribe(f"order:{ORDER}")
    drain(washer)

    sessions.order_changed(OrderFacts(ORDER, OrderStatus.PENDING, CUSTOMER, None, seq=1))
    sessions.order_changed(OrderFacts(ORDER, OrderStatus.ASSIGNED, CUSTOMER, WASHER, seq=2))
    await sessions.settled()
    assert frames(drain(washer)) == []
    assert hub.subscriptions(washer.subscriber) == [f"order:{ORDER}"]

    sessions.order_changed(OrderFacts(ORDER, OrderStatus.PENDING, CUSTOMER, None, seq=3))
    await sessions.settled()
    assert [f["type"] for f in frames(drain(washer))] == ["unsubscribed"]


async def test_a_stream_gains_the_track_when_allowed_and_ends_when_it_may_not_see_the_order(
    hub: Hub, book: OrderBook, sessions: LiveSessions
) -> None:
    book.orders[ORDER] = facts(OrderStatus.PENDING, washer_id=None)
    context = make_context(hub, book, sessions)
    customer = await opened(context, CUSTOMER, Role.CUSTOMER, Streamish())
    washer = await opened(context, WASHER, Role.WASHER, Streamish())
    channels = [order_channel(ORDER), chat_channel(ORDER), track_channel(ORDER)]
    await customer.follow(channels, {}, required=channels[:1])
    await washer.follow(channels, {}, required=channels[:1])

    assert hub.subscriptions(customer.subscriber) == [f"order:{ORDER}", f"order:{ORDER}:chat"]
    assert washer.finished  # not the washer's order: the stream ends at once
    assert isinstance(drain(washer)[-1], ClosingFrame)

    sessions.order_changed(facts(OrderStatus.EN_ROUTE))
    await sessions.settled()
    assert f"order:{ORDER}:track" in hub.subscriptions(customer.subscriber)

    sessions.order_changed(facts(OrderStatus.IN_PROGRESS))
    await sessions.settled()
    assert f"order:{ORDER}:track" not in hub.subscriptions(customer.subscriber)
    assert frames(drain(customer)) == []  # one-way: nothing but events and the last word

    book.orders[ORDER] = OrderFacts(ORDER, OrderStatus.ASSIGNED, 999, WASHER)
    sessions.order_changed(book.orders[ORDER])
    await sessions.settled()
    last = drain(customer)[-1]
    assert isinstance(last, ClosingFrame) and last.code == ACCESS_ENDED


async def test_an_expired_token_ends_the_session_on_every_transport(
    hub: Hub, book: OrderBook, sessions: LiveSessions
) -> None:
    context = make_context(hub, book, sessions)
    for transport in (Socketish(), Streamish()):
        session = await opened(context, CUSTOMER, Role.CUSTOMER, transport, ttl=0)
        last = await anext(session.subscriber)
        assert isinstance(last, ClosingFrame) and last.code == UNAUTHORIZED
        assert json.loads(last.ws_frame)["code"] == "token_expired"


async def test_closing_forgets_the_session_everywhere(
    hub: Hub, book: OrderBook, sessions: LiveSessions
) -> None:
    session = await opened(make_context(hub, book, sessions), WASHER, Role.WASHER)
    await session.subscribe(f"order:{ORDER}")
    await session.close()
    await session.close()
    assert len(sessions) == 0 and sessions.watchers(ORDER) == 0
    assert hub.subscriptions(session.subscriber) == []


async def test_after_end_all_new_sessions_close_at_once(
    hub: Hub, book: OrderBook, sessions: LiveSessions
) -> None:
    context = make_context(hub, book, sessions)
    before = await opened(context, CUSTOMER, Role.CUSTOMER)
    await sessions.end_all(1012, "server restarting")
    after = await opened(context, CUSTOMER, Role.CUSTOMER)
    assert before.subscriber.close_code == 1012
    assert after.subscriber.close_code == 1012


async def test_connections_over_a_cap_are_told_and_ended(hub: Hub, book: OrderBook) -> None:
    sessions = LiveSessions(max_per_user=2, max_per_address=3)
    context = make_context(hub, book, sessions)

    def session(user: int, address: str) -> LiveSession:
        return LiveSession(
            context, Socketish(), Principal(user, Role.CUSTOMER, time.time() + 60), address
        )

    first, second, third = (session(CUSTOMER, "10.0.0.1") for _ in range(3))
    for each in (first, second, third):
        await each.open()
    last = drain(third)[-1]
    assert isinstance(last, ClosingFrame) and last.code == TOO_MANY_CONNECTIONS
    assert json.loads(last.ws_frame)["code"] == "too_many_connections"
    assert not first.finished and not second.finished

    neighbour = session(WASHER, "10.0.0.1")  # another user, same address: third of three
    await neighbour.open()
    crowded = session(OTHER_WASHER, "10.0.0.1")
    await crowded.open()
    assert not neighbour.finished and crowded.finished
    assert "per address" in json.loads(drain(crowded)[-1].ws_frame)["message"]

    await first.close()
    again = session(CUSTOMER, "10.0.0.2")
    await again.open()
    assert not again.finished and len(sessions) == 3
