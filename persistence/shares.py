"""Share links as rows: found by their token's hash, revoked together per order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import OrderShare


async def share_by_hash(session: AsyncSession, token_hash: str) -> OrderShare | None:
    return await session.scalar(select(OrderShare).where(OrderShare.token_hash == token_hash))


async def revoke_order_shares(session: AsyncSession, order_id: int, now: datetime) -> int:
    """Revoke every link of the order not revoked yet; how many."""
    result = await session.execute(
        update(OrderShare)
        .where(OrderShare.order_id == order_id, OrderShare.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
