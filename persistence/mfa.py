"""Second-factor rows: the authenticator secret and recovery codes.

Spending a code is a conditional UPDATE (of the factor's last step, of a recovery code's
`used_at`) whose answer says whether this call won, so a code raced twice works once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import RecoveryCode, TotpFactor


async def factor_of(session: AsyncSession, user_id: int) -> TotpFactor | None:
    return await session.scalar(select(TotpFactor).where(TotpFactor.user_id == user_id))


async def recovery_codes_left(session: AsyncSession, user_id: int) -> int:
    left = await session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return int(left or 0)


async def delete_recovery_codes(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


async def spend_step(session: AsyncSession, factor_id: int, step: int) -> bool:
    """Record `step` as the factor's last if it is newer than the last; whether it was."""
    won = await session.scalar(
        update(TotpFactor)
        .where(
            TotpFactor.id == factor_id,
            or_(TotpFactor.last_step.is_(None), TotpFactor.last_step < step),
        )
        .values(last_step=step)
        .returning(TotpFactor.id)
        .execution_options(synchronize_session=False)
    )
    return won is not None


async def spend_recovery_code(
    session: AsyncSession, user_id: int, code_hash: str, now: datetime
) -> bool:
    """Mark the user's unused code of this hash used; whether there was one."""
    used = await session.scalar(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(RecoveryCode.id)
        .execution_options(synchronize_session=False)
    )
    return used is not None


async def stored_secrets(session: AsyncSession) -> list[tuple[int, str]]:
    """Every factor's (id, secret as stored)."""
    rows = await session.execute(select(TotpFactor.id, TotpFactor.secret))
    return [(factor_id, secret) for factor_id, secret in rows.tuples()]


async def replace_secret(session: AsyncSession, factor_id: int, stored: str, new: str) -> int:
    """Store `new` as the factor's secret if it is still `stored`; rows changed (0 or 1)."""
    result = await session.execute(
        update(TotpFactor)
        .where(TotpFactor.id == factor_id, TotpFactor.secret == stored)
        .values(secret=new)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
