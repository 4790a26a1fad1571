"""SQLAlchemy 2 models: the durable truth of accounts, catalog, orders and their history.

Status and role columns hold the `domain` enums' string values; the rules about them live in
`domain`, never here. Every table is created by Alembic migrations only
(`washline db upgrade`); a test checks the migrated schema against these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.base import IdentityAuditBase, IdentityBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

EMAIL_MAX = 254
NAME_MAX = 120
ADDRESS_MAX = 300
NOTES_MAX = 500
COMMENT_MAX = 2000
CHAT_BODY_MAX = 2000
USER_AGENT_MAX = 255


class User(IdentityAuditBase):
    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(NAME_MAX))
    role: Mapped[str] = mapped_column(String(16), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class RefreshToken(IdentityAuditBase):
    """A refresh token, stored only as its SHA-256 so a database leak grants nothing.

    Every token descended from one login shares a `family_id`: replaying a token that was
    already rotated means it was copied, so the whole family is revoked, the thief's and the
    owner's alike.
    """

    __tablename__ = "refresh_token"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The device and address the token was issued to: a session's newest token says where
    it was last used."""


class Vehicle(IdentityAuditBase):
    __tablename__ = "vehicle"

    owner_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    make: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(60))
    plate: Mapped[str] = mapped_column(String(16))
    color: Mapped[str | None] = mapped_column(String(30), nullable=True)
    size: Mapped[str] = mapped_column(String(8))


class ServicePackage(IdentityAuditBase):
    __tablename__ = "service_package"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(String(1000), default="")
    base_price_cents: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("base_price_cents >= 0", name="ck_package_price"),)


class WasherProfile(IdentityAuditBase):
    """A washer's working state; the rating aggregate is updated with each review."""

    __tablename__ = "washer_profile"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    is_available: Mapped[bool] = mapped_column(Boolean, default=False)
    rating_average: Mapped[float] = mapped_column(Float, default=0.0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    last_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_fix_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


ZONE_MAX = 16
QUOTE_TOKEN_MAX = 32


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


class OutboxEvent(IdentityBase):
    """An event committed with the change that caused it, waiting for the relay to publish.

    `published_at` is NULL until the relay has handed the event to the broker; the partial
    index keeps the relay's scan proportional to the backlog, not to history.
    Rows are built only by `persistence.outbox.append`, which fills `trace_context` from the
    span current when the event is added (`realtime.tracing`).
    """

    __tablename__ = "outbox_event"

    topic: Mapped[str] = mapped_column(String(40))
    aggregate_id: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # The W3C traceparent of the request or job that committed the event (NULL when tracing
    # is off): the relay's publish and every delivery join that trace.
    trace_context: Mapped[str | None] = mapped_column(String(55), nullable=True)

    __table_args__ = (
        Index(
            "ix_outbox_event_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
        Index("ix_outbox_event_aggregate_seq", "topic", "aggregate_id", "seq"),
    )


class ChatMessage(IdentityBase):
    """A chat message of an order; `seq` (1, 2, 3, ... per order) is its id on the wire."""

    __tablename__ = "chat_message"

    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("wash_order.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    sender_role: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(String(CHAT_BODY_MAX))
    sent_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (UniqueConstraint("order_id", "seq", name="uq_chat_message_seq"),)


class ChatRead(IdentityBase):
    """How far a participant has read an order's chat (a read receipt)."""

    __tablename__ = "chat_read"

    order_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("wash_order.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    last_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (UniqueConstraint("order_id", "user_id", name="uq_chat_read_participant"),)


class Notification(IdentityBase):
    """A personal notification, also published live on `user:{id}`; unread until marked."""

    __tablename__ = "notification"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


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


IDEMPOTENCY_KEY_MAX = 255


class IdempotencyKey(IdentityBase):
    """A request a client may retry, and the response it got (`app.http.idempotency`).

    The row is inserted before the handler runs, with no `status`: the unique constraint is
    the lock that keeps a concurrent retry from running the handler a second time. Rows
    outlive `expires_at` only until they are purged or a new request with the key comes.
    """

    __tablename__ = "idempotency_key"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_MAX))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    headers: Mapped[list[list[str]] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)

    __table_args__ = (
        UniqueConstraint("user_id", "method", "path", "key", name="uq_idempotency_key_scope"),
    )


AUDIT_ACTION_MAX = 40


class AuditEvent(IdentityBase):
    """One entry of the audit trail, written in the transaction of the change it records.

    Append-only: the migration installs triggers refusing UPDATE and DELETE on both back-ends,
    and no route changes an entry. Actor and target are plain ids, not foreign keys, so no
    cascade can ever rewrite or remove an entry. `before`/`after` hold an admin edit's changed
    fields; `detail` what else the action needs said (a failure's reason).
    """

    __tablename__ = "audit_event"

    occurred_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    action: Mapped[str] = mapped_column(String(AUDIT_ACTION_MAX), index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    actor_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    target_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    target_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index("ix_audit_event_target", "target_type", "target_id"),)


class TotpFactor(IdentityAuditBase):
    """A user's authenticator (TOTP) secret. Unconfirmed until a first code proves the app
    holds it; only a confirmed factor is asked for at login. `last_step` is the time step of
    the last code accepted, so no code is accepted twice."""

    __tablename__ = "totp_factor"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    secret: Mapped[str] = mapped_column(String(255))
    """Sealed (`app.mfa_secrets`): encrypted under `MFA_ENCRYPTION_KEY`."""
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RecoveryCode(IdentityBase):
    """A single-use recovery code, stored only as its SHA-256."""

    __tablename__ = "recovery_code"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


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


class PriceQuote(IdentityBase):
    """A price promised to one customer for one vehicle, package and zone until `expires_at`
    (`domain.quotes`); `order_id` is set by the booking that used it. Clients name it by its
    unguessable `token`, never by the row id."""

    __tablename__ = "price_quote"

    token: Mapped[str] = mapped_column(String(QUOTE_TOKEN_MAX), unique=True)
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    vehicle_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("vehicle.id", ondelete="CASCADE")
    )
    package_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("service_package.id", ondelete="CASCADE")
    )
    zone: Mapped[str] = mapped_column(String(ZONE_MAX))
    base_price_cents: Mapped[int] = mapped_column(Integer)
    multiplier_pct: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    order_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("wash_order.id", ondelete="SET NULL"), nullable=True
    )


class SurgeZone(IdentityBase):
    """A demand zone's last computed load and multiplier, and an admin's cap or pin.

    Written by the one process that computes surge (`app.workers.surge`), read by every
    process that quotes or books, so every pod prices with the same numbers."""

    __tablename__ = "surge_zone"

    zone: Mapped[str] = mapped_column(String(ZONE_MAX), unique=True)
    multiplier_pct: Mapped[int] = mapped_column(Integer, default=100)
    since: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    demand: Mapped[int] = mapped_column(Integer, default=0)
    supply: Mapped[int] = mapped_column(Integer, default=0)
    cap_pct: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pin_pct: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
