"""Order chat rows: numbering a message inside its INSERT, pages of messages, read receipts.

A message's number is the order's highest plus one, computed by the INSERT itself (after
the caller queued on the order's row), so two senders never read the same highest; a clash
that still happens (SQLite) is the unique key's, and the caller retries.

The history's reads (`GET /api/orders/{id}/messages`, a tenth of the API's traffic) are Core
statements built once per shape, as the order reads are (`persistence.order_reads`): the
order's access facts and its read receipts in one statement, then the page of messages, as
plain rows (no identity map, no cache key built per call).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeAlias, cast

from sqlalchemy import Row, Select, Table, bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import ChatMessage, ChatRead, Order
from persistence.order_reads import OrderRow

MessageRow: TypeAlias = Row[*tuple[Any, ...]]
"""A row of the `chat_message` table's columns (`order_id`, `seq`, `sender_id`, ...)."""

_order = Order.__table__
_message = cast(Table, ChatMessage.__table__)
_read = ChatRead.__table__


_FACTS = (
    _order.c.id,
    _order.c.status,
    _order.c.customer_id,
    _order.c.washer_id,
    _order.c.arrived_at,
    _order.c.last_event_seq,
)
"""What deciding who takes part in an order's chat reads (`order_views.order_facts`)."""
_ORDER_FACTS = select(*_FACTS).where(_order.c.id == bindparam("order_id"))
_ORDER_FACTS_QUEUED = _ORDER_FACTS.with_for_update()


async def order_facts_row(
    session: AsyncSession, order_id: int, *, queue: bool = False
) -> OrderRow | None:
    """The order's chat facts, or None. With `queue`, the read also locks the order's row
    until the transaction ends (PostgreSQL; SQLite locks on write), so the senders of one
    order take turns: deciding access and queueing are one round trip."""
    conn = await session.connection()
    statement = _ORDER_FACTS_QUEUED if queue else _ORDER_FACTS
    return (await conn.execute(statement, {"order_id": order_id})).one_or_none()


_next_seq = (
    select(func.coalesce(func.max(_message.c.seq), 0) + 1)
    .where(_message.c.order_id == bindparam("chat_order_id"))
    .scalar_subquery()
)
_INSERT_NEXT_MESSAGE = (
    insert(_message)
    .values(
        order_id=bindparam("chat_order_id"),
        seq=_next_seq,
        sender_id=bindparam("sender"),
        sender_role=bindparam("role"),
        body=bindparam("text"),
        sent_at=bindparam("at"),
    )
    .returning(*_message.c)
)
"""Bound names differ from the columns': SQLAlchemy keeps a column's own name for VALUES."""


async def insert_next_message(
    session: AsyncSession,
    *,
    order_id: int,
    sender_id: int,
    sender_role: str,
    body: str,
    sent_at: datetime,
) -> MessageRow:
    """Insert the order's next message (numbered by the statement, built once); the stored
    row. IntegrityError when another sender took that number meanwhile."""
    conn = await session.connection()
    values = {
        "chat_order_id": order_id,
        "sender": sender_id,
        "role": sender_role,
        "text": body,
        "at": sent_at,
    }
    return (await conn.execute(_INSERT_NEXT_MESSAGE, values)).one()


@lru_cache(maxsize=4)
def _page_statement(after: bool, before: bool) -> Select[Any]:
    """One statement per shape of cursor, values bound at execution."""
    query = select(*_message.c).where(_message.c.order_id == bindparam("order_id"))
    if after:
        query = query.where(_message.c.seq > bindparam("after")).order_by(_message.c.seq)
    else:
        if before:
            query = query.where(_message.c.seq < bindparam("before"))
        query = query.order_by(_message.c.seq.desc())
    return query.limit(bindparam("limit"))


async def messages_page(
    session: AsyncSession, order_id: int, *, before: int | None, after: int | None, limit: int
) -> list[MessageRow]:
    """Oldest first after `after` when given; else newest first, before `before` if given."""
    statement = _page_statement(after is not None, after is None and before is not None)
    values = {"order_id": order_id, "after": after, "before": before, "limit": limit}
    conn = await session.connection()
    return list((await conn.execute(statement, values)).all())


@dataclass(frozen=True, slots=True)
class Receipt:
    """How far one participant has read an order's chat."""

    user_id: int
    last_read_seq: int
    read_at: datetime


@dataclass(frozen=True, slots=True)
class ChatHead:
    """What a history page needs besides its messages: the order's access facts (a row
    named as `app.services.order_views.order_facts` reads it) and every read receipt."""

    order: OrderRow
    receipts: list[Receipt]


_HEAD = (
    select(
        *_FACTS,
        _read.c.user_id.label("receipt_user_id"),
        _read.c.last_read_seq.label("receipt_last_read_seq"),
        _read.c.read_at.label("receipt_read_at"),
    )
    .select_from(_order.outerjoin(_read, _read.c.order_id == _order.c.id))
    .where(_order.c.id == bindparam("order_id"))
    .order_by(_read.c.user_id)
)
"""The order's facts with one row per receipt (a chat has two or three participants)."""


async def chat_head(session: AsyncSession, order_id: int) -> ChatHead | None:
    """The order's access facts and read receipts in one round trip; None: no such order."""
    conn = await session.connection()
    rows = (await conn.execute(_HEAD, {"order_id": order_id})).all()
    if not rows:
        return None
    receipts = [
        Receipt(row.receipt_user_id, row.receipt_last_read_seq, row.receipt_read_at)
        for row in rows
        if row.receipt_user_id is not None
    ]
    return ChatHead(order=rows[0], receipts=receipts)


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
