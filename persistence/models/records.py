"""Rows the platform keeps about itself: the outbox, the audit trail and idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.base import IdentityBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
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

from persistence.models.limits import AUDIT_ACTION_MAX, IDEMPOTENCY_KEY_MAX


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
