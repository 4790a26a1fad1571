"""Reviews as rows: an order's review, a washer's, and the profile a review moves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import Review, WasherProfile


async def review_of_order(session: AsyncSession, order_id: int) -> Review | None:
    return await session.scalar(select(Review).where(Review.order_id == order_id))


async def order_has_review(session: AsyncSession, order_id: int) -> bool:
    return await session.scalar(select(Review.id).where(Review.order_id == order_id)) is not None


async def profile_for_rating(session: AsyncSession, washer_id: int) -> WasherProfile | None:
    """The washer's profile, locked until the transaction ends (PostgreSQL), so two reviews
    of one washer fold into the aggregate one after the other."""
    return await session.scalar(
        select(WasherProfile).where(WasherProfile.user_id == washer_id).with_for_update()
    )


async def reviews_of_washer(
    session: AsyncSession, washer_id: int, *, limit: int, offset: int
) -> list[Review]:
    """The washer's reviews, newest first."""
    rows = await session.scalars(
        select(Review)
        .where(Review.washer_id == washer_id)
        .order_by(Review.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows)
