"""Typed live frames: the event envelope, `reset`, `unsubscribed`, and the payload of each
known event as a msgspec Struct.

Within a protocol version the server only adds fields and events, so every Struct ignores
fields it does not know and an unknown event keeps its `data` as a plain dict.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class OrderStatusData(msgspec.Struct):
    """`order.created` / `order.status` on `order:{id}` and `ops`."""

    order_id: int
    status: str
    seq: int | None = None
    from_status: str | None = None
    customer_id: int | None = None
    washer_id: int | None = None
    price_cents: int | None = None
    actor_role: str | None = None
    actor_id: int | None = None
    reason: str | None = None
    occurred_at: datetime | None = None
    lat: float | None = None
    lng: float | None = None


class LocationData(msgspec.Struct):
    """`order.location` on `order:{id}:track`: the washer's position and the ETA."""

    lat: float
    lng: float
    order_id: int | None = None
    washer_id: int | None = None
    heading: float | None = None
    speed: float | None = None
    accuracy: float | None = None
    ts: datetime | None = None
    distance_m: float | None = None
    eta_seconds: int | None = None
    status: str | None = None


class WasherPosition(msgspec.Struct):
    """One washer's newest fix in a `washer.position` batch (`eta_seconds` only while on the
    way to an order)."""

    washer_id: int
    lat: float
    lng: float
    heading: float | None = None
    speed: float | None = None
    ts: datetime | None = None
    order_id: int | None = None
    eta_seconds: int | None = None


class WasherPositionData(msgspec.Struct):
    """`washer.position` on `ops`: each moving washer's newest fix since the last batch."""

    positions: list[WasherPosition] = msgspec.field(default_factory=list)


class LocationFix(msgspec.Struct, omit_defaults=True):
    """A washer's GPS fix, as the `location` op sends it: degrees, `ts` with its offset,
    `heading` in degrees (0..360), `speed` in m/s, `accuracy` in metres."""

    lat: float
    lng: float
    ts: datetime
    heading: float | None = None
    speed: float | None = None
    accuracy: float | None = None


class LocationReply(msgspec.Struct):
    """The answer to a `location` op: `accepted`, or `coalesced` (over 5 fixes a second; the
    newest is kept), with the order the washer is on and the ETA to it when on the way."""

    status: str
    order_id: int | None = None
    eta_seconds: int | None = None


class ChatMessageData(msgspec.Struct):
    """`chat.message` on `order:{id}:chat`; its `seq` is also the event id."""

    order_id: int
    seq: int
    body: str
    sender_id: int | None = None
    sender_role: str | None = None
    sent_at: datetime | None = None


class OfferData(msgspec.Struct):
    """`dispatch.offer` / `dispatch.offer_withdrawn` on `user:{washer id}`."""

    offer_id: int
    order_id: int
    status: str
    expires_at: datetime | None = None
    distance_m: float | None = None
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    price_cents: int | None = None
    notification_id: int | None = None


PAYLOADS: dict[str, type[msgspec.Struct]] = {
    "order.created": OrderStatusData,
    "order.status": OrderStatusData,
    "order.location": LocationData,
    "washer.position": WasherPositionData,
    "chat.message": ChatMessageData,
    "dispatch.offer": OfferData,
    "dispatch.offer_withdrawn": OfferData,
}
"""The payload type of each event the SDK knows; others stay dicts."""


class Event(msgspec.Struct, frozen=True):
    """One event, the same on every transport. `id` is None for events never replayed
    (`chat.typing`)."""

    channel: str
    event: str
    data: dict[str, Any]
    id: str | None = None
    ts: str | None = None

    @property
    def payload(self) -> Any:
        """`data` as its typed Struct (see `PAYLOADS`), or the dict for other events."""
        kind = PAYLOADS.get(self.event)
        return self.data if kind is None else msgspec.convert(self.data, kind)


class Reset(msgspec.Struct, frozen=True):
    """History after the requested position is gone on `channel`: reload that state over
    REST, then carry on with the events that follow."""

    channel: str


class Unsubscribed(msgspec.Struct, frozen=True):
    """The server ended this subscription (the user may no longer see the channel)."""

    channel: str
    code: str
    message: str = ""


LiveItem = Event | Reset | Unsubscribed
"""What a live connection hands the app, in arrival order."""
