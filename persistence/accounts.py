"""Reading user accounts: by email, whether it has a second factor, how many there are."""

from __future__ import annotations

from typing import Any, TypeAlias, cast

from sqlalchemy import Row, Table, bindparam, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import TotpFactor, User

_user = cast(Table, User.__table__)
_factor = cast(Table, TotpFactor.__table__)
_ACCOUNT_FOR_TOKENS = select(
    _user.c.id,
    _user.c.email,
    _user.c.full_name,
    _user.c.role,
    _user.c.is_active,
    _user.c.created_at,
    exists()
    .where(_factor.c.user_id == _user.c.id, _factor.c.confirmed_at.is_not(None))
    .label("second_factor"),
).where(_user.c.id == bindparam("user_id"))
"""What a refresh needs of the account, in one statement built once."""

AccountRow: TypeAlias = Row[*tuple[Any, ...]]
"""`id`, `email`, `full_name`, `role`, `is_active`, `created_at` and `second_factor`."""


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


async def account_for_tokens(session: AsyncSession, user_id: int) -> AccountRow | None:
    """The account as tokens are issued to it, and whether it has a second factor in force;
    None for no such account."""
    conn = await session.connection()
    return (await conn.execute(_ACCOUNT_FOR_TOKENS, {"user_id": user_id})).first()
