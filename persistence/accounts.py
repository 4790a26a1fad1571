"""Reading user accounts: by email, whether it has a second factor, how many there are."""

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


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)
