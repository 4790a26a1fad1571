"""The process's session registry: which order events it reads facts from, and how."""

from __future__ import annotations

from typing import Any

import pytest

from domain.orders import OrderFacts, OrderStatus
from realtime.envelope import Envelope
from realtime.sessions import LiveSessions, facts_from_order_event

EVENT = {"order_id": 7, "status": "assigned", "customer_id": 3, "washer_id": 9, "seq": 2}


def test_an_order_event_carries_the_facts_access_depends_on() -> None:
    assert facts_from_order_event(EVENT) == OrderFacts(7, OrderStatus.ASSIGNED, 3, 9, seq=2)
    assert facts_from_order_event({**EVENT, "washer_id": None}) == OrderFacts(
        7, OrderStatus.ASSIGNED, 3, None, seq=2
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {**EVENT, "status": "teleported"},
        {**EVENT, "order_id": "seven"},
        {key: value for key, value in EVENT.items() if key != "customer_id"},
    ],
)
def test_anything_else_is_ignored(data: Any) -> None:
    assert facts_from_order_event(data) is None


async def test_only_watched_orders_are_queued() -> None:
    sessions = LiveSessions()
    sessions.on_ops_event(Envelope.create("ops", "1-a", "order.status", EVENT))
    sessions.on_ops_event(Envelope.create("ops", "2-a", "washer.position", {"order_id": 7}))
    await sessions.settled()  # nothing queued: no session watches order 7
    assert sessions.watchers(7) == 0
