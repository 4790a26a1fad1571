"""Surge zones and price quotes as rows: a zone's multiplier, the zones, a quote by token,
and spending a quote (a conditional UPDATE, so one booking only spends it)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import PriceQuote, SurgeZone


async def zone_multiplier(session: AsyncSession, zone: str) -> int | None:
    """The multiplier last written for the zone (percent), or None for a zone never priced."""
    pct = await session.scalar(select(SurgeZone.multiplier_pct).where(SurgeZone.zone == zone))
    return None if pct is None else int(pct)


async def zone_row(session: AsyncSession, zone: str) -> SurgeZone | None:
    return await session.scalar(select(SurgeZone).where(SurgeZone.zone == zone))


async def zones(session: AsyncSession) -> list[SurgeZone]:
    """Every zone ever priced, in cell order."""
    return list(await session.scalars(select(SurgeZone).order_by(SurgeZone.zone)))


async def quote_by_token(session: AsyncSession, token: str) -> PriceQuote | None:
    return await session.scalar(select(PriceQuote).where(PriceQuote.token == token))


async def spend_quote(session: AsyncSession, quote_id: int, order_id: int) -> bool:
    """Mark the quote used by `order_id` unless an order already used it; whether it was
    this call that spent it."""
    result = await session.execute(
        update(PriceQuote)
        .where(PriceQuote.id == quote_id, PriceQuote.order_id.is_(None))
        .values(order_id=order_id)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 1) == 1
