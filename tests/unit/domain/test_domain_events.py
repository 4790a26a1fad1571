"""Event type names are wire API: pin them."""

from __future__ import annotations

from domain import events


def test_event_names() -> None:
    assert {
        "order.created",
        "order.status",
        "order.location",
        "chat.message",
        "chat.typing",
        "chat.read",
        "dispatch.offer",
        "dispatch.offer_withdrawn",
        "notification",
        "washer.position",
        "kpi.tick",
        "audit.entry",
        "surge.zone",
        "surge.zones",
        "presence",
    } == events.ALL_EVENT_TYPES
    assert events.ORDER_STATUS == "order.status"
    assert events.ORDER_LOCATION == "order.location"
    assert events.DISPATCH_OFFER_WITHDRAWN == "dispatch.offer_withdrawn"


def test_ephemeral_events_are_known_events() -> None:
    assert events.EPHEMERAL_EVENT_TYPES <= events.ALL_EVENT_TYPES
