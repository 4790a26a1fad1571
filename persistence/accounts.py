"""Reading user accounts: by email, whether one is active, whether it has a second factor."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import TotpFactor, User


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    """The account of an email exactly as stored (the caller normalises it)."""
    return await session.scalar(select(User).where(User.email == email))


async def has_confirmed_factor(session: AsyncSession, user_id: int) -> bool:
    """Whether the account has a second factor in force (an unconfirmed one is not)."""
    found = await session.scalar(
        select(TotpFactor.id).where(
            TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_not(None)
        )
    )
    return found is not None


async def is_active(session: AsyncSession, user_id: int) -> bool:
    """Whether the account exists and is active (one column, no identity-mapped row)."""
    return bool(await session.scalar(select(User.is_active).where(User.id == user_id)))


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)
