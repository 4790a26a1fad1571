"""The facts live access is decided on, loaded from the database.

The rule itself is `domain.channels.may_subscribe`; `realtime.session.LiveSession` applies
it at subscribe time and again whenever the order's facts change. This module only reads
the facts: one query per order a session subscribes to, none per message.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.services.order_views import order_facts
from domain.orders import OrderFacts
from persistence.models import Order


class DatabaseOrderFacts:
    """`realtime.session.OrderFactsSource` over the order table."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def order_facts(self, order_id: int) -> OrderFacts | None:
        async with self._session_factory() as session:
            order = await session.get(Order, order_id)
            return order_facts(order) if order is not None else None
