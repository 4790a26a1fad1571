"""Refresh tokens: claiming one, revoking a user's, and the families (sessions) they form.

A session is a refresh-token family. Revocations are conditional UPDATEs answering the
families they touched, so a caller knows exactly which sessions it ended even when another
request revoked some of them at the same moment.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, Row, bindparam, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import RefreshToken, User


def _unrevoked(user_id: int, now: datetime, *, unexpired_only: bool) -> ColumnElement[bool]:
    live = (RefreshToken.user_id == user_id) & RefreshToken.revoked_at.is_(None)
    return live & (RefreshToken.expires_at > now) if unexpired_only else live


async def claim_live_token(
    session: AsyncSession, token_hash: str, now: datetime
) -> tuple[int, str] | None:
    """Revoke the token if it is live, in one statement; its (user id, family), or None
    when it is unknown, expired or already revoked. Of simultaneous claims one wins."""
    claimed = (
        await session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.token_hash == token_hash,
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > now,
            )
            .values(revoked_at=now)
            .returning(RefreshToken.user_id, RefreshToken.family_id)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    return None if claimed is None else (claimed.user_id, claimed.family_id)


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


async def revoke_family(session: AsyncSession, family_id: str, now: datetime) -> None:
    """Revoke every token of the family not revoked yet."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


async def revoke_tokens(
    session: AsyncSession,
    user_id: int,
    now: datetime,
    *,
    family: str | None = None,
    keep: str | None = None,
    unexpired_only: bool = False,
) -> list[str]:
    """Revoke the user's unrevoked tokens (only those of `family`, or all but `keep`'s;
    only the unexpired ones with `unexpired_only`); the families revoked, sorted."""
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
    return sorted(set(revoked.all()))


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


_user = User.__table__
_refresh = RefreshToken.__table__
_ACCOUNT_ACTIVE = select(_user.c.is_active).where(_user.c.id == bindparam("user_id"))
_SESSION_LIVE = select(
    _user.c.is_active,
    exists()
    .where(
        _refresh.c.user_id == bindparam("user_id"),
        _refresh.c.family_id == bindparam("session_id"),
        _refresh.c.revoked_at.is_(None),
    )
    .label("live"),
).where(_user.c.id == bindparam("user_id"))
"""Whether the account is active and the session still has a live refresh token, in one
statement built once (its cache key is memoized on it)."""


async def session_still_valid(session: AsyncSession, user_id: int, session_id: str | None) -> bool:
    """Whether an access token of `session_id` may still be used: the account is active and
    the session keeps an unrevoked refresh token (`None`, a token from before sessions were
    named: the account alone decides). One statement on an autocommit connection: a cache
    miss of the per-request check is one round trip, not BEGIN, two queries and ROLLBACK."""
    conn = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    if session_id is None:
        result = await conn.execute(_ACCOUNT_ACTIVE, {"user_id": user_id})
        return bool(result.scalar())
    result = await conn.execute(_SESSION_LIVE, {"user_id": user_id, "session_id": session_id})
    row = result.first()
    return row is not None and bool(row.is_active) and bool(row.live)
