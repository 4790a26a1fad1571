"""REST resources the journey helpers return, as msgspec Structs (unknown fields ignored)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class Package(msgspec.Struct):
    id: int
    name: str
    base_price_cents: int
    duration_minutes: int


class Vehicle(msgspec.Struct):
    id: int
    make: str
    model: str
    plate: str
    size: str


class Order(msgspec.Struct):
    id: int
    customer_id: int
    washer_id: int | None
    status: str
    price_cents: int
    address: str
    lat: float
    lng: float
    seq: int
    version: int
    created_at: datetime
    vehicle_id: int | None = None
    package_id: int | None = None
    scheduled_for: datetime | None = None
    notes: str | None = None


class OrderPage(msgspec.Struct):
    items: list[Order]
    total: int
    limit: int
    offset: int


class Quote(msgspec.Struct):
    """A price held for a while: book with `quote_id` to pay exactly `price_cents`."""

    quote_id: str
    price_cents: int
    base_price_cents: int
    multiplier: float
    zone: str
    expires_at: datetime


class Washer(msgspec.Struct):
    id: int
    email: str
    full_name: str
    is_active: bool
    is_available: bool
    rating_average: float = 0.0
    rating_count: int = 0
    last_lat: float | None = None
    last_lng: float | None = None
    last_fix_at: datetime | None = None


class OrderHistoryEntry(msgspec.Struct):
    seq: int
    from_status: str | None
    to_status: str
    actor_role: str
    occurred_at: datetime
    actor_id: int | None = None
    reason: str | None = None


class OrderDetail(msgspec.Struct):
    order: Order
    events: list[OrderHistoryEntry]
    allowed_transitions: list[str]


class Offer(msgspec.Struct):
    offer_id: int
    order_id: int
    status: str
    expires_at: datetime
    distance_m: float | None = None
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    price_cents: int | None = None
    offered_at: datetime | None = None
    package_name: str | None = None
    duration_minutes: int | None = None


class Message(msgspec.Struct):
    order_id: int
    seq: int
    sender_id: int
    sender_role: str
    body: str
    sent_at: datetime


class Receipt(msgspec.Struct):
    user_id: int
    last_read_seq: int
    read_at: datetime


class MessagePage(msgspec.Struct):
    items: list[Message]
    receipts: list[Receipt]
    next_before: int | None = None


class Review(msgspec.Struct):
    id: int
    order_id: int
    washer_id: int
    stars: int
    created_at: datetime
    comment: str | None = None


class ShareLink(msgspec.Struct):
    """A share link of an order: `token` is shown once; `url` is the live page."""

    token: str
    url: str
    expires_at: datetime
