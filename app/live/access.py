"""Who may subscribe to a channel, decided once at subscribe time by `domain.channels`.

The only database work is loading the order's facts for order channels; nothing is checked
per message afterwards.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import Principal
from app.services.orders import order_facts
from domain.channels import Channel, may_subscribe, parse_channel
from domain.errors import Refusal
from domain.orders import OrderFacts
from persistence.models import Order


class ChannelRefused(Refusal):
    """`code` is "bad_channel" (not a channel name) or "forbidden" (not yours, or absent)."""


async def load_order_facts(
    session_factory: async_sessionmaker[AsyncSession], order_id: int
) -> OrderFacts | None:
    async with session_factory() as session:
        order = await session.get(Order, order_id)
        return order_facts(order) if order is not None else None


async def authorize_channel(
    session_factory: async_sessionmaker[AsyncSession], principal: Principal, name: str
) -> Channel:
    """The parsed channel if `principal` may subscribe; refusals never say whether it exists."""
    try:
        channel = parse_channel(name)
    except ValueError:
        raise ChannelRefused("bad_channel", "unknown channel name") from None
    order = None
    if channel.order_id is not None:
        order = await load_order_facts(session_factory, channel.order_id)
    if not may_subscribe(principal.actor, channel, order):
        raise ChannelRefused("forbidden", "you may not subscribe to this channel")
    return channel
