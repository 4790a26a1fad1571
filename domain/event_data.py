"""The `data` of each live event, as types: the server builds every payload from these, and
the AsyncAPI document (`/asyncapi.json`) describes them from the same types.

Times are ISO-8601 strings and statuses plain strings, as they travel; a field is only ever
added (docs/protocol.md, Versioning).
"""

from __future__ import annotations

from typing import Any

import msgspec

from domain import events
from domain.kpi_snapshot import KpiSnapshot
from domain.zones import Hotspot


class OrderEventData(msgspec.Struct):
    """`order.created` and `order.status` on `order:{id}` (and `ops`)."""

    order_id: int
    seq: int
    status: str
    from_status: str | None
    customer_id: int
    washer_id: int | None
    price_cents: int
    actor_role: str
    actor_id: int | None
    reason: str | None
    occurred_at: str
    created_at: str
    scheduled_for: str | None
    lat: float
    lng: float


class OfferEventData(msgspec.Struct):
    """`dispatch.offer` and `dispatch.offer_withdrawn` on the washer's `user:{id}`; the
    delivered event adds the stored notification's `notification_id`."""

    offer_id: int
    order_id: int
    status: str
    distance_m: float
    expires_at: str
    address: str
    lat: float
    lng: float
    price_cents: int


class ChatMessageData(msgspec.Struct):
    """`chat.message` on `order:{id}:chat`; `seq` is also the event's id."""

    order_id: int
    seq: int
    sender_id: int
    sender_role: str
    body: str
    sent_at: str


class ChatTypingData(msgspec.Struct):
    """`chat.typing` on `order:{id}:chat`: live only, never replayed."""

    order_id: int
    user_id: int
    role: str


class ChatReadData(msgspec.Struct):
    """`chat.read` on `order:{id}:chat`: `user_id` has read up to `last_read_seq`."""

    order_id: int
    user_id: int
    last_read_seq: int


class OrderLocationData(msgspec.Struct):
    """`order.location` on `order:{id}:track`: the washer's newest fix for the order and the
    ETA (`eta_seconds` is 0 once `arrived`). Lossy: a slow client gets the newest only."""

    washer_id: int
    lat: float
    lng: float
    ts: str
    heading: float | None
    speed: float | None
    accuracy: float | None
    order_id: int
    distance_m: float
    eta_seconds: int
    status: str


class WasherPosition(msgspec.Struct):
    """One washer's newest fix in a `washer.position` batch; `eta_seconds` only while the
    washer is on the way to an order."""

    washer_id: int
    lat: float
    lng: float
    ts: str
    heading: float | None
    speed: float | None
    order_id: int | None
    eta_seconds: int | None = None


class WasherPositionData(msgspec.Struct):
    """`washer.position` on `ops`: each moving washer's newest fix since the last batch."""

    positions: list[WasherPosition]


class AuditEntryData(msgspec.Struct):
    """An audit entry as `GET /api/admin/audit` lists it, without its row id (assigned in
    the same transaction: the trail's order is `occurred_at`)."""

    occurred_at: str
    action: str
    actor_id: int | None
    actor_role: str | None
    target_type: str | None
    target_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: dict[str, Any] | None
    request_id: str | None
    address: str | None


class ZonePriceData(msgspec.Struct):
    """A zone's live price: what a customer's app shows and a washer's app steers by."""

    zone: str
    multiplier: float
    multiplier_pct: int
    demand: int
    supply: int
    capped: bool
    pinned: bool
    computed_at: str
    boundary: list[tuple[float, float]]
    """The hexagon's corners, (lat, lng), for a map."""
    hotspot: Hotspot | None
    """The nearest zone paying 1.2x or more, for washers ("high demand 2 km north")."""


class ZonesData(msgspec.Struct):
    """Every active zone of one computation, for the admins' heatmap."""

    zones: list[ZonePriceData]
    computed_at: str
    average_multiplier: float
    """The mean surge of today's bookings (business day), 1.0 when there are none."""
    surge_revenue_cents_today: int
    """What surge added to the orders completed today (price minus base price)."""


DATA_BY_EVENT: dict[str, type[msgspec.Struct]] = {
    events.ORDER_CREATED: OrderEventData,
    events.ORDER_STATUS: OrderEventData,
    events.DISPATCH_OFFER: OfferEventData,
    events.DISPATCH_OFFER_WITHDRAWN: OfferEventData,
    events.CHAT_MESSAGE: ChatMessageData,
    events.CHAT_TYPING: ChatTypingData,
    events.CHAT_READ: ChatReadData,
    events.KPI_TICK: KpiSnapshot,
    events.ORDER_LOCATION: OrderLocationData,
    events.WASHER_POSITION: WasherPositionData,
    events.AUDIT_ENTRY: AuditEntryData,
    events.SURGE_ZONE: ZonePriceData,
    events.SURGE_ZONES: ZonesData,
}
"""The type of each event's `data` (the location pipeline builds `order.location` and
`washer.position` as plain objects of these fields; tests decode them strictly into these
types, so the two cannot drift)."""


def as_data(data: msgspec.Struct) -> dict[str, Any]:
    """The payload as the JSON object that is stored and sent."""
    built: dict[str, Any] = msgspec.to_builtins(data)
    return built
