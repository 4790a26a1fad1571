"""A user's sessions: each is a refresh-token family, begun by one login.

A session is live while its newest token is neither revoked nor expired. Revoking one
revokes every live token of its family, so it can no longer be refreshed; the callers then
end its live access everywhere (`app.session_access`), which also refuses the access tokens
already issued to it. Every revocation is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.schemas.sessions import SessionOut
from domain.audit import AuditAction, AuditTarget
from domain.errors import not_found
from domain.roles import Actor
from persistence.models import RefreshToken, User


def _live(user_id: int, now: datetime) -> ColumnElement[bool]:
    return (
        (RefreshToken.user_id == user_id)
        & RefreshToken.revoked_at.is_(None)
        & (RefreshToken.expires_at > now)
    )


async def list_sessions(
    session: AsyncSession, user_id: int, current: str | None
) -> list[SessionOut]:
    """The user's live sessions, the most recently used first; `current` marks the
    caller's own."""
    now = datetime.now(UTC)
    live = (await session.scalars(select(RefreshToken).where(_live(user_id, now)))).all()
    families = {token.family_id for token in live}
    began_rows = await session.execute(
        select(RefreshToken.family_id, func.min(RefreshToken.created_at))
        .where(RefreshToken.user_id == user_id, RefreshToken.family_id.in_(families))
        .group_by(RefreshToken.family_id)
    )
    began = {family: first for family, first in began_rows.tuples()}
    newest: dict[str, RefreshToken] = {}
    for token in live:
        if token.family_id not in newest or token.created_at > newest[token.family_id].created_at:
            newest[token.family_id] = token
    sessions = [
        SessionOut(
            id=family,
            created_at=began.get(family, token.created_at),
            last_used_at=token.created_at,
            expires_at=token.expires_at,
            user_agent=token.user_agent,
            address=token.address,
            current=family == current,
        )
        for family, token in newest.items()
    ]
    return sorted(sessions, key=lambda s: s.last_used_at, reverse=True)


async def _revoke(session: AsyncSession, user_id: int, *where: ColumnElement[bool]) -> list[str]:
    """Revoke the user's live tokens matching `where`; the families that lost any."""
    now = datetime.now(UTC)
    revoked = await session.scalars(
        update(RefreshToken)
        .where(_live(user_id, now), *where)
        .values(revoked_at=now)
        .returning(RefreshToken.family_id)
        .execution_options(synchronize_session=False)
    )
    return sorted(set(revoked.all()))


def _audit(session: AsyncSession, actor: Actor, user_id: int, **detail: Any) -> None:
    target = (AuditTarget.USER, user_id)
    audit.record(session, AuditAction.SESSION_REVOKED, actor, target, detail=detail)


async def revoke_session(session: AsyncSession, actor: Actor, family_id: str) -> None:
    """Revoke one of the actor's own sessions; 404 `not_found` if it is not a live one of
    theirs (someone else's answers alike)."""
    assert actor.user_id is not None
    if not await _revoke(session, actor.user_id, RefreshToken.family_id == family_id):
        await session.rollback()
        raise not_found("session")
    _audit(session, actor, actor.user_id, sessions=[family_id])
    await session.commit()


async def revoke_sessions(session: AsyncSession, actor: Actor, *, keep: str | None) -> list[str]:
    """Revoke every live session of the actor's but `keep` (the caller's own; None: all of
    them, as for an access token from before sessions were named); which ones."""
    assert actor.user_id is not None
    where = [RefreshToken.family_id != keep] if keep else []
    revoked = await _revoke(session, actor.user_id, *where)
    _audit(session, actor, actor.user_id, sessions=revoked)
    await session.commit()
    return revoked


async def revoke_user_sessions(session: AsyncSession, actor: Actor, user_id: int) -> int:
    """An admin ends every session of a user; 404 `not_found` for no such user."""
    if await session.get(User, user_id) is None:
        raise not_found("user")
    revoked = await _revoke(session, user_id)
    _audit(session, actor, user_id, sessions=revoked)
    await session.commit()
    return len(revoked)
