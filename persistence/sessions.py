"""Refresh tokens: claiming one, revoking a user's, and the families (sessions) they form.

A session is a refresh-token family. Revocations are conditional UPDATEs answering the
families they touched, so a caller knows exactly which sessions it ended even when another
request revoked some of them at the same moment.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.access_ends import record_ended_sessions
from persistence.models import RefreshToken

_refresh = cast(Table, RefreshToken.__table__)
_CLAIM = (
    update(_refresh)
    .where(
        _refresh.c.token_hash == bindparam("claimed_hash"),
        _refresh.c.revoked_at.is_(None),
        _refresh.c.expires_at > bindparam("claimed_at"),
    )
    .values(revoked_at=bindparam("claimed_at"))
    .returning(_refresh.c.user_id, _refresh.c.family_id)
)
_ADD = insert(_refresh)
"""A refresh's two writes, built once: a refresh is among the most frequent requests."""


def _unrevoked(user_id: int, now: datetime, *, unexpired_only: bool) -> ColumnElement[bool]:
    live = (RefreshToken.user_id == user_id) & RefreshToken.revoked_at.is_(None)
    return live & (RefreshToken.expires_at > now) if unexpired_only else live


async def claim_live_token(
    session: AsyncSession, token_hash: str, now: datetime
) -> tuple[int, str] | None:
    """Revoke the token if it is live, in one statement; its (user id, family), or None
    when it is unknown, expired or already revoked. Of simultaneous claims one wins."""
    conn = await session.connection()
    values = {"claimed_hash": token_hash, "claimed_at": now}
    claimed = (await conn.execute(_CLAIM, values)).first()
    return None if claimed is None else (claimed.user_id, claimed.family_id)


async def add_token(session: AsyncSession, row: dict[str, Any]) -> None:
    """Store a refresh token (`user_id`, `token_hash`, `expires_at`, `family_id`,
    `user_agent`, `address`), in one statement built once."""
    conn = await session.connection()
    await conn.execute(_ADD, [row])


async def token_state(
    session: AsyncSession, token_hash: str
) -> Row[str, datetime | None, int] | None:
    """A stored token's `family_id`, `revoked_at` and `user_id`, or None."""
    return (
        await session.execute(
            select(RefreshToken.family_id, RefreshToken.revoked_at, RefreshToken.user_id).where(
                RefreshToken.token_hash == token_hash
            )
        )
    ).one_or_none()


async def revoke_family(
    session: AsyncSession, family_id: str, user_id: int, reason: str, now: datetime
) -> None:
    """Revoke every token of the family not revoked yet, and record that its access ended."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    await record_ended_sessions(session, user_id, [family_id], reason, now)


async def revoke_tokens(
    session: AsyncSession,
    user_id: int,
    now: datetime,
    *,
    reason: str,
    family: str | None = None,
    keep: str | None = None,
    unexpired_only: bool = False,
) -> list[str]:
    """Revoke the user's unrevoked tokens (only those of `family`, or all but `keep`'s;
    only the unexpired ones with `unexpired_only`) and record, for `reason`, that those
    sessions' access ended; the families revoked, sorted."""
    where = [_unrevoked(user_id, now, unexpired_only=unexpired_only)]
    if family is not None:
        where.append(RefreshToken.family_id == family)
    if keep is not None:
        where.append(RefreshToken.family_id != keep)
    revoked = await session.scalars(
        update(RefreshToken)
        .where(*where)
        .values(revoked_at=now)
        .returning(RefreshToken.family_id)
        .execution_options(synchronize_session=False)
    )
    families = sorted(set(revoked.all()))
    await record_ended_sessions(session, user_id, families, reason, now)
    return families


async def live_tokens(session: AsyncSession, user_id: int, now: datetime) -> list[RefreshToken]:
    """The user's tokens neither revoked nor expired."""
    query = select(RefreshToken).where(_unrevoked(user_id, now, unexpired_only=True))
    return list((await session.scalars(query)).all())


async def family_starts(
    session: AsyncSession, user_id: int, families: Collection[str]
) -> dict[str, datetime]:
    """When each of the user's `families` began: its first token's time."""
    rows = await session.execute(
        select(RefreshToken.family_id, func.min(RefreshToken.created_at))
        .where(RefreshToken.user_id == user_id, RefreshToken.family_id.in_(families))
        .group_by(RefreshToken.family_id)
    )
    return {family: first for family, first in rows.tuples()}
