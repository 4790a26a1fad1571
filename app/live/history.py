"""Database-backed history: resumes of `order:{id}` and `order:{id}:chat` that Redis can
no longer serve.

Order and chat events live in PostgreSQL with their per-order sequence number, which is
also the event's id on the wire, so a client can always be brought up to date from here,
even after Redis has lost everything. The replay serves the outbox rows themselves: the
payload and time that were published, so an event has one body whichever way it arrives.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.services.chat import CHAT_TOPIC
from domain.channels import ChannelKind, parse_channel
from persistence.database import DATABASE_DOWN
from persistence.order_events import ORDER_TOPIC
from persistence.outbox import stored_events_after
from realtime.broker import BrokerUnavailable
from realtime.envelope import Envelope, iso_utc

_TOPICS = {ChannelKind.ORDER: ORDER_TOPIC, ChannelKind.ORDER_CHAT: CHAT_TOPIC}


class DatabaseHistory:
    """`realtime.subscription.HistoryFallback` over the committed outbox rows."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def events_after(self, channel: str, after: int, limit: int) -> list[Envelope]:
        parsed = parse_channel(channel)
        topic = _TOPICS.get(parsed.kind)
        if topic is None or parsed.target_id is None:
            return []
        try:
            async with self._session_factory() as session:
                rows = await stored_events_after(session, topic, parsed.target_id, after, limit)
        except DATABASE_DOWN as exc:
            raise BrokerUnavailable(f"history of {channel} unavailable: {exc!r}") from exc
        return [
            Envelope.create(
                channel, str(row.seq), row.event_type, row.payload, ts=iso_utc(row.created_at)
            )
            for row in rows
        ]
