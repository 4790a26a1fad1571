"""Database-backed history: resumes of `order:{id}` and `order:{id}:chat` that Redis can
no longer serve.

Order events live in PostgreSQL with their per-order sequence number, which is also the
event's id on the wire, so a client can always be brought up to date from here, even after
Redis has lost everything.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.services.chat import message_payload
from domain.channels import ChannelKind, parse_channel
from domain.events import CHAT_MESSAGE, ORDER_CREATED, ORDER_STATUS
from persistence.models import ChatMessage, Order, OrderEvent
from persistence.order_events import order_event_payload
from realtime.envelope import Envelope


def order_envelope(channel: str, order: Order, event: OrderEvent) -> Envelope:
    """The envelope of one stored order event, identical in id, type and data to the live one."""
    event_type = ORDER_CREATED if event.from_status is None else ORDER_STATUS
    return Envelope.create(
        channel,
        str(event.seq),
        event_type,
        order_event_payload(order, event),
        ts=event.occurred_at.isoformat().replace("+00:00", "Z"),
    )


class DatabaseHistory:
    """`realtime.subscription.HistoryFallback` over the order_event table."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def events_after(self, channel: str, after: int, limit: int) -> list[Envelope]:
        parsed = parse_channel(channel)
        if parsed.target_id is None:
            return []
        if parsed.kind is ChannelKind.ORDER_CHAT:
            return await self._chat_after(channel, parsed.target_id, after, limit)
        if parsed.kind is not ChannelKind.ORDER:
            return []
        async with self._session_factory() as session:
            order = await session.get(Order, parsed.target_id)
            if order is None:
                return []
            rows = await session.scalars(
                select(OrderEvent)
                .where(OrderEvent.order_id == order.id, OrderEvent.seq > after)
                .order_by(OrderEvent.seq)
                .limit(limit)
            )
            return [order_envelope(channel, order, event) for event in rows]

    async def _chat_after(
        self, channel: str, order_id: int, after: int, limit: int
    ) -> list[Envelope]:
        async with self._session_factory() as session:
            rows = await session.scalars(
                select(ChatMessage)
                .where(ChatMessage.order_id == order_id, ChatMessage.seq > after)
                .order_by(ChatMessage.seq)
                .limit(limit)
            )
            return [
                Envelope.create(
                    channel,
                    str(m.seq),
                    CHAT_MESSAGE,
                    message_payload(m),
                    ts=m.sent_at.isoformat().replace("+00:00", "Z"),
                )
                for m in rows
            ]
