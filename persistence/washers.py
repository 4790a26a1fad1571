"""Washers as rows: the account with its profile, one or a page of them."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import User, WasherProfile

WasherRow = tuple[User, WasherProfile]


def _washers() -> Select[User, WasherProfile]:
    return select(User, WasherProfile).join(WasherProfile, WasherProfile.user_id == User.id)


async def washer_row(session: AsyncSession, washer_id: int) -> WasherRow | None:
    """The washer's account and profile, or None (an account with no profile is no washer)."""
    row = (await session.execute(_washers().where(User.id == washer_id))).first()
    return None if row is None else (row[0], row[1])


async def washers_page(
    session: AsyncSession, *, available: bool | None, limit: int, offset: int
) -> list[WasherRow]:
    """Washers by id, only those (un)available when `available` is given."""
    query = _washers()
    if available is not None:
        query = query.where(WasherProfile.is_available.is_(available))
    rows = await session.execute(query.order_by(User.id).limit(limit).offset(offset))
    return [(user, profile) for user, profile in rows.tuples()]


async def profile_of(session: AsyncSession, washer_id: int) -> WasherProfile | None:
    return await session.scalar(select(WasherProfile).where(WasherProfile.user_id == washer_id))
