from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from app.schemas.common import Latitude, Longitude, PositiveId, Reason, Version
from app.schemas.pricing import QuoteToken
from domain.orders import OrderStatus
from domain.ratings import MAX_COMMENT_LENGTH, MAX_STARS, MIN_STARS
from domain.text import Text

Address = Annotated[Text, msgspec.Meta(min_length=3, max_length=300)]
Notes = Annotated[Text, msgspec.Meta(max_length=500)]
Stars = Annotated[int, msgspec.Meta(ge=MIN_STARS, le=MAX_STARS)]
Comment = Annotated[Text, msgspec.Meta(max_length=MAX_COMMENT_LENGTH)]


class OrderIn(msgspec.Struct, forbid_unknown_fields=True):
    vehicle_id: PositiveId
    package_id: PositiveId
    address: Address
    lat: Latitude
    lng: Longitude
    scheduled_for: datetime | None = None
    notes: Notes | None = None
    quote_id: QuoteToken | None = None
    """A quote from `POST /api/quotes`: the booking pays exactly its price while it holds."""


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    to: OrderStatus
    reason: Reason | None = None
    washer_id: PositiveId | None = None
    expected_version: Version | None = None


class OrderEventOut(msgspec.Struct):
    seq: int
    from_status: str | None
    to_status: str
    actor_id: int | None
    actor_role: str
    reason: str | None
    occurred_at: datetime


class OrderOut(msgspec.Struct):
    id: int
    customer_id: int
    vehicle_id: int
    package_id: int
    washer_id: int | None
    status: str
    price_cents: int
    address: str
    lat: float
    lng: float
    scheduled_for: datetime | None
    notes: str | None
    seq: int
    version: int
    base_price_cents: int | None
    """The price before surge (`null` on orders booked before surge pricing)."""
    surge_multiplier: float | None
    zone: str | None
    created_at: datetime
    updated_at: datetime


class OrderDetailOut(msgspec.Struct):
    order: OrderOut
    events: list[OrderEventOut]
    allowed_transitions: list[str]


class TrackPointOut(msgspec.Struct):
    lat: float
    lng: float
    recorded_at: datetime
    speed: float | None
    heading: float | None


class ReviewIn(msgspec.Struct, forbid_unknown_fields=True):
    stars: Stars
    comment: Comment | None = None


class ReviewOut(msgspec.Struct):
    id: int
    order_id: int
    customer_id: int
    washer_id: int
    stars: int
    comment: str | None
    created_at: datetime


class PublicReviewOut(msgspec.Struct):
    """A review as anyone signed in sees it on a washer's page: not who wrote it."""

    id: int
    order_id: int
    washer_id: int
    stars: int
    comment: str | None
    created_at: datetime


class OrderFilters(msgspec.Struct):
    status: list[OrderStatus] | None = None
    customer_id: int | None = None
    washer_id: int | None = None
