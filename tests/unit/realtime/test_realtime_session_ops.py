"""A two-way transport's client frames (`realtime.session_ops`): ops dispatched, refused or
answered without losing the connection, outages, floods and oversized frames."""

from __future__ import annotations

import dataclasses
from typing import Any

from domain.roles import Role
from realtime import protocol
from realtime.close_codes import MESSAGE_TOO_BIG, TOO_MANY_OPS
from realtime.frames import ClosingFrame
from realtime.hub import Hub
from realtime.session import LiveSession
from realtime.session_context import Outage
from realtime.session_ops import handle_frame
from realtime.sessions import LiveSessions
from tests.unit.realtime.session_helpers import (
    CUSTOMER,
    WASHER,
    OrderBook,
    drain,
    frames,
    make_context,
    opened,
)


async def test_ops_are_dispatched_refused_or_answered_without_losing_the_socket(
    hub: Hub, book: OrderBook, sessions: LiveSessions
) -> None:
    calls: list[Any] = []

    async def chat(session: LiveSession, op: protocol.Chat) -> None:
        calls.append(op)
        if op.body == "boom":
            raise RuntimeError("injected")
        session.send(protocol.reply(op.ref))

    context = make_context(hub, book, sessions, handlers={protocol.Chat: chat})
    session = await opened(context, WASHER, Role.WASHER)
    await handle_frame(session, b'{"op":"ping","ref":1}')
    await handle_frame(session, b'{"op":"chat","order_id":42,"body":"hi","ref":2}')
    await handle_frame(session, b'{"op":"chat","order_id":42,"body":"boom","ref":3}')
    await handle_frame(session, b'{"op":"typing","order_id":42,"ref":4}')
    await handle_frame(session, b"not json")
    await handle_frame(session, b'{"op":"auth","token":"stale","ref":5}')
    await handle_frame(session, b'{"op":"auth","token":"fresh","ref":6}')

    answers = [(f["type"], f.get("ref"), f.get("code")) for f in frames(drain(session))]
    assert answers == [
        ("reply", 1, None),
        ("reply", 2, None),
        ("error", 3, "internal_error"),
        ("error", 4, "unsupported_op"),
        ("error", None, "invalid_json"),
        ("error", 5, "unauthorized"),
        ("reply", 6, None),
    ]
    assert len(calls) == 2 and not session.finished


async def test_an_op_failing_on_a_store_outage_answers_unavailable(
    hub: Hub, book: OrderBook, sessions: LiveSessions
) -> None:
    async def chat(session: LiveSession, op: protocol.Chat) -> None:
        raise ConnectionRefusedError("the database is restarting")

    context = dataclasses.replace(
        make_context(hub, book, sessions, handlers={protocol.Chat: chat}),
        outage=Outage(lambda exc: isinstance(exc, ConnectionError), "database_unavailable", 5),
    )
    session = await opened(context, WASHER, Role.WASHER)
    await handle_frame(session, b'{"op":"chat","order_id":42,"body":"hi","ref":1}')
    await handle_frame(session, b'{"op":"ping","ref":2}')
    answers = [(f["type"], f.get("ref"), f.get("code")) for f in frames(drain(session))]
    assert answers == [("error", 1, "database_unavailable"), ("reply", 2, None)]


async def test_a_flood_is_refused_then_closed_and_a_huge_frame_closes_at_once(
    hub: Hub, book: OrderBook, sessions: LiveSessions
) -> None:
    context = make_context(hub, book, sessions, ops_per_second=2)
    flooder = await opened(context, CUSTOMER, Role.CUSTOMER)
    while not flooder.finished:
        await handle_frame(flooder, b'{"op":"ping"}')
    last = drain(flooder)[-1]
    assert isinstance(last, ClosingFrame) and last.code == TOO_MANY_OPS

    big = await opened(context, CUSTOMER, Role.CUSTOMER)
    await handle_frame(big, b"x" * 513)
    assert big.subscriber.close_code == MESSAGE_TOO_BIG
