"""Chat messages, read markers and notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.base import IdentityBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.limits import CHAT_BODY_MAX


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
