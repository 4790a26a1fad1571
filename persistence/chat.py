"""Order chat rows: numbering a message inside its INSERT, pages of messages, read receipts.

A message's number is the order's highest plus one, computed by the INSERT itself (after
the caller queued on the order's row), so two senders never read the same highest; a clash
that still happens (SQLite) is the unique key's, and the caller retries.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import ChatMessage, ChatRead, Order


async def queue_on_order(session: AsyncSession, order_id: int) -> None:
    """Lock the order's row until the transaction ends (PostgreSQL; SQLite locks on write),
    so the senders of one order take turns."""
    await session.execute(select(Order.id).where(Order.id == order_id).with_for_update())


async def insert_next_message(
    session: AsyncSession,
    *,
    order_id: int,
    sender_id: int,
    sender_role: str,
    body: str,
    sent_at: datetime,
) -> ChatMessage:
    """Insert the order's next message (numbered by the statement); IntegrityError when
    another sender took that number meanwhile."""
    next_seq = (
        select(func.coalesce(func.max(ChatMessage.seq), 0) + 1)
        .where(ChatMessage.order_id == order_id)
        .scalar_subquery()
    )
    inserted = await session.scalars(
        insert(ChatMessage)
        .values(
            order_id=order_id,
            seq=next_seq,
            sender_id=sender_id,
            sender_role=sender_role,
            body=body,
            sent_at=sent_at,
        )
        .returning(ChatMessage)
    )
    return inserted.one()


async def messages_page(
    session: AsyncSession, order_id: int, *, before: int | None, after: int | None, limit: int
) -> list[ChatMessage]:
    """Oldest first after `after` when given; else newest first, before `before` if given."""
    query = select(ChatMessage).where(ChatMessage.order_id == order_id)
    if after is not None:
        query = query.where(ChatMessage.seq > after).order_by(ChatMessage.seq)
    else:
        if before is not None:
            query = query.where(ChatMessage.seq < before)
        query = query.order_by(ChatMessage.seq.desc())
    return list(await session.scalars(query.limit(limit)))


async def read_receipts(session: AsyncSession, order_id: int) -> list[ChatRead]:
    return list(await session.scalars(select(ChatRead).where(ChatRead.order_id == order_id)))


async def last_seq(session: AsyncSession, order_id: int) -> int:
    """The order's newest message number (0 for none)."""
    top = await session.scalar(
        select(func.coalesce(func.max(ChatMessage.seq), 0)).where(ChatMessage.order_id == order_id)
    )
    return int(top or 0)


async def read_receipt(session: AsyncSession, order_id: int, user_id: int) -> ChatRead | None:
    return await session.scalar(
        select(ChatRead).where(ChatRead.order_id == order_id, ChatRead.user_id == user_id)
    )
