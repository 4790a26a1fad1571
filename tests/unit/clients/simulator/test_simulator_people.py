"""What simulated people believe about an order, their clock, and the events they keep."""

from __future__ import annotations

import random
import time
from typing import Any

from washline_simulator.live import Frame
from washline_simulator.person import OrderView, Ticker, chat_event


def order(**fields: Any) -> dict[str, Any]:
    return {"id": 7, "lat": 30.26, "lng": -97.75, "status": "pending", "seq": 1, **fields}


def status_event(seq: int, status: str, order_id: int = 7, washer_id: int | None = 3) -> Frame:
    data = {"order_id": order_id, "seq": seq, "status": status, "washer_id": washer_id}
    return {"type": "event", "channel": f"order:{order_id}", "id": str(seq),
            "event": "order.status", "data": data}  # fmt: skip


def test_the_newest_sequence_wins_whichever_way_it_arrives() -> None:
    view = OrderView(order())
    assert view.apply_event(status_event(2, "assigned")) is True
    assert (view.status, view.seq, view.washer_id) == ("assigned", 2, 3)
    assert view.apply_event(status_event(2, "assigned")) is False  # a duplicate
    assert view.apply_rest(order(status="pending", seq=1, washer_id=None)) is False  # stale read
    assert view.status == "assigned"
    assert view.apply_rest(order(status="en_route", seq=3, washer_id=3)) is True
    assert view.apply_event(status_event(4, "cancelled", washer_id=None)) is True
    assert view.done and view.washer_id is None


def test_events_about_other_orders_or_of_other_kinds_change_nothing() -> None:
    view = OrderView(order())
    assert view.apply_event(status_event(5, "assigned", order_id=8)) is False
    chat: Frame = {"type": "event", "event": "chat.message", "data": {"order_id": 7}}
    assert view.apply_event(chat) is False
    assert view.apply_event({"type": "reset", "channel": "order:7"}) is False
    assert view.status == "pending"


def test_chat_messages_are_recognised_per_order() -> None:
    frame: Frame = {"type": "event", "event": "chat.message", "data": {"order_id": 7, "body": "hi"}}
    assert chat_event(frame, 7) == {"order_id": 7, "body": "hi"}
    assert chat_event(frame, 8) is None
    assert chat_event(status_event(2, "assigned"), 7) is None


def test_a_late_ticker_skips_missed_beats_instead_of_bursting() -> None:
    ticker = Ticker(100.0)
    ticker.next = time.monotonic() - 350.0  # three and a half beats late
    assert ticker.due() is True
    assert ticker.due() is False  # not three more catch-up ticks
    assert time.monotonic() < ticker.next <= time.monotonic() + 100.0


def test_customers_decline_a_share_of_quotes_above_the_threshold_only() -> None:

    from washline_simulator.config import SimConfig
    from washline_simulator.customer import declines_quote

    config = SimConfig(decline_above=1.5, decline_share=0.5)
    rng = random.Random(7)
    assert not any(declines_quote(1.4, config, rng) for _ in range(500))
    declined = sum(declines_quote(1.8, config, rng) for _ in range(2000))
    assert 850 < declined < 1150  # about half
    never = SimConfig(decline_share=0.0)
    assert not any(declines_quote(3.0, never, rng) for _ in range(100))
