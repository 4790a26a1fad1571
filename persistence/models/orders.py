"""Orders and everything that hangs off one: its event history, review, dispatch offers,
the washer's track and share links."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.base import IdentityAuditBase, IdentityBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.limits import ADDRESS_MAX, COMMENT_MAX, NOTES_MAX, ZONE_MAX


class Order(IdentityAuditBase):
    """A booked wash. `version` guards every update (optimistic concurrency: a lost race is a
    409), and `last_event_seq` is the order's current event sequence number, so a client can
    load the order and subscribe to `order:{id}` from exactly there."""

    __tablename__ = "wash_order"

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    vehicle_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("vehicle.id", ondelete="RESTRICT")
    )
    package_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("service_package.id", ondelete="RESTRICT")
    )
    washer_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    price_cents: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    scheduled_for: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), nullable=True
    )
    notes: Mapped[str | None] = mapped_column(String(NOTES_MAX), nullable=True)
    arrived_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """When a washer first took the order: time-to-assign is `assigned_at - created_at`."""
    last_event_seq: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    base_price_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The price before surge (package by vehicle size); ``None`` on orders older than surge."""
    surge_multiplier_pct: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The surge it was booked at, in percent (130 = 1.3x)."""
    zone: Mapped[str | None] = mapped_column(String(ZONE_MAX), nullable=True, index=True)
    """The demand zone (H3 cell) of its address."""

    __mapper_args__ = {"version_id_col": version}


class OrderEvent(IdentityBase):
    """One transition of an order; `seq` is the order's event sequence (1, 2, 3, ...)."""

    __tablename__ = "order_event"

    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("wash_order.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    actor_role: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    washer_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The order's washer right after this event, so replayed events say what live ones said."""
    reason: Mapped[str | None] = mapped_column(String(NOTES_MAX), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (UniqueConstraint("order_id", "seq", name="uq_order_event_seq"),)


class Review(IdentityAuditBase):
    __tablename__ = "review"

    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("wash_order.id", ondelete="CASCADE"), unique=True
    )
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    washer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    stars: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(String(COMMENT_MAX), nullable=True)

    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="ck_review_stars"),)


class DispatchOffer(IdentityBase):
    """An offer of a pending order to one washer; the first accept wins, the rest withdraw."""

    __tablename__ = "dispatch_offer"

    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("wash_order.id", ondelete="CASCADE"), index=True
    )
    washer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    distance_m: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (UniqueConstraint("order_id", "washer_id", name="uq_dispatch_offer_pair"),)


class TrackPoint(IdentityBase):
    """One accepted location fix of a washer, written in batches by the location pipeline."""

    __tablename__ = "track_point"

    washer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    order_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    heading: Mapped[float | None] = mapped_column(Float, nullable=True)
    speed: Mapped[float | None] = mapped_column(Float, nullable=True)
    accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class OrderShare(IdentityBase):
    """A share link of one order (`domain.sharing`): stored only as the SHA-256 of its token,
    so the table gives no working link away. It works until `revoked_at`, `expires_at` or the
    order's end, whichever comes first."""

    __tablename__ = "order_share"

    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("wash_order.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
