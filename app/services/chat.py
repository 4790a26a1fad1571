"""Order chat between its customer, its washer and admins: persisted, then published.

A message is stored with the next per-order sequence number and an outbox row in one
transaction; the relay publishes it on `order:{id}:chat` with that number as its id, so
history and live delivery agree and a resume can always be served from the database.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.principal import Principal
from app.services.order_views import order_facts
from domain.channels import may_publish_chat
from domain.errors import Conflict, Invalid, RateLimited, not_found
from domain.event_data import ChatMessageData, ChatReadData, as_data
from domain.events import CHAT_MESSAGE
from persistence import chat as stored
from persistence.chat import MessageRow, Receipt
from persistence.models import ChatRead
from persistence.order_reads import OrderRow
from persistence.outbox import insert_outbox_rows, outbox_values
from realtime.broker import BrokerUnavailable

CHAT_TOPIC = "chat"
MAX_BODY = 2000
SEQ_RETRIES = 5


def message_payload(message: MessageRow) -> dict[str, Any]:
    return as_data(
        ChatMessageData(
            order_id=message.order_id,
            seq=message.seq,
            sender_id=message.sender_id,
            sender_role=message.sender_role,
            body=message.body,
            sent_at=message.sent_at.isoformat(),
        )
    )


class ChatRateLimiter:
    """At most `limit` messages per `window` seconds per user, in this process (a sender's
    socket lives on one pod, so per-process is what a flood can reach)."""

    def __init__(self, limit: int = 10, window: float = 10.0) -> None:
        self._limit = limit
        self._window = window
        self._sent: dict[int, deque[float]] = {}
        self._swept = time.monotonic()

    def allow(self, user_id: int) -> bool:
        now = time.monotonic()
        self._forget_quiet_users(now)
        sent = self._sent.setdefault(user_id, deque())
        while sent and sent[0] <= now - self._window:
            sent.popleft()
        if len(sent) >= self._limit:
            return False
        sent.append(now)
        return True

    def tracked_users(self) -> int:
        return len(self._sent)

    def _forget_quiet_users(self, now: float) -> None:
        """Once a window, drop users with nothing left in it: the map stays as large as the
        users chatting now, not every user who ever chatted in this process's lifetime."""
        if now - self._swept < self._window:
            return
        self._swept = now
        cutoff = now - self._window
        for user_id in [u for u, sent in self._sent.items() if not sent or sent[-1] <= cutoff]:
            del self._sent[user_id]


async def chat_order(
    session: AsyncSession, principal: Principal, order_id: int, *, queue: bool = False
) -> OrderRow:
    """The order's chat facts if the caller takes part in its chat; 404 otherwise (nothing
    leaks). With `queue`, the read also queues the caller behind the order's other senders
    (`persistence.chat.order_facts_row`)."""
    order = await stored.order_facts_row(session, order_id, queue=queue)
    if order is None or not may_publish_chat(principal.actor, order_facts(order)):
        raise not_found("order")
    return order


def clean_body(body: str) -> str:
    cleaned = body.strip()
    if not cleaned:
        raise Invalid("empty_message", "message body is empty")
    if len(cleaned) > MAX_BODY:
        raise Invalid("message_too_long", f"message body is over {MAX_BODY} characters")
    return cleaned


async def post_message(
    session: AsyncSession, principal: Principal, order_id: int, body: str, limiter: ChatRateLimiter
) -> MessageRow:
    """Store the message with the order's next number and its outbox row: three statements
    (the access read that also queues on the order's row, the numbered INSERT, the outbox
    row), no unit of work."""
    text = clean_body(body)
    for attempt in range(SEQ_RETRIES):
        # Senders of one order queue on its row (PostgreSQL), and the number is computed by
        # the INSERT itself, so SQLite computes it under its write lock rather than from a
        # read taken before another sender's commit.
        await chat_order(session, principal, order_id, queue=True)
        if attempt == 0 and not limiter.allow(principal.id):
            raise RateLimited("rate_limited", "too many messages; slow down")
        try:
            message = await stored.insert_next_message(
                session,
                order_id=order_id,
                sender_id=principal.id,
                sender_role=principal.role.value,
                body=text,
                sent_at=datetime.now(UTC),
            )
            event = outbox_values(
                topic=CHAT_TOPIC,
                aggregate_id=order_id,
                seq=message.seq,
                event_type=CHAT_MESSAGE,
                payload=message_payload(message),
                created_at=message.sent_at,
            )
            await insert_outbox_rows(session, [event])
            await session.commit()
            return message
        except IntegrityError:
            await session.rollback()  # another sender took this number; take the next
    raise Conflict("conflict", "the chat is too busy; retry")


async def list_messages(
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    *,
    before: int | None,
    after: int | None,
    limit: int,
) -> tuple[list[MessageRow], list[Receipt]]:
    """A page of messages (newest first with `before`, oldest first with `after`) and every
    participant's read receipt: two statements, the order's facts with the receipts first,
    so a caller who may not see the chat gets its 404 before any message is read."""
    head = await stored.chat_head(session, order_id)
    if head is None or not may_publish_chat(principal.actor, order_facts(head.order)):
        raise not_found("order")
    messages = await stored.messages_page(
        session, order_id, before=before, after=after, limit=limit
    )
    return messages, head.receipts


async def mark_read(
    session: AsyncSession, principal: Principal, order_id: int, up_to: int
) -> ChatRead:
    """Move the caller's read receipt forward (never back)."""
    order = await chat_order(session, principal, order_id)
    up_to = min(up_to, await stored.last_seq(session, order.id))
    receipt = await stored.read_receipt(session, order.id, principal.id)
    now = datetime.now(UTC)
    if receipt is None:
        receipt = ChatRead(
            order_id=order.id, user_id=principal.id, last_read_seq=up_to, read_at=now
        )
        session.add(receipt)
    elif up_to > receipt.last_read_seq:
        receipt.last_read_seq, receipt.read_at = up_to, now
    await session.commit()
    return receipt


async def announce_read(hub: Any, receipt: ChatRead) -> None:
    """Tell the chat's live participants about a read receipt (live only: the receipt itself
    is stored, and history returns it, so while Redis is down the announcement is skipped
    rather than failing a receipt that was already saved)."""
    from domain.channels import chat_channel
    from domain.events import CHAT_READ

    with contextlib.suppress(BrokerUnavailable):
        await hub.publish_ephemeral(
            chat_channel(receipt.order_id).name,
            CHAT_READ,
            as_data(ChatReadData(receipt.order_id, receipt.user_id, receipt.last_read_seq)),
        )
