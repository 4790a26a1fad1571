"""A user's sessions: each is a refresh-token family, begun by one login.

A session is live while its newest token is neither revoked nor expired. Revoking one
revokes every live token of its family, so it can no longer be refreshed; the callers then
end its live access everywhere (`app.session_access`), which also refuses the access tokens
already issued to it. Every revocation is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.schemas.sessions import SessionOut
from domain.audit import AuditAction, AuditTarget
from domain.errors import not_found
from domain.roles import Actor
from persistence import sessions as stored
from persistence.access_ends import record_ended_account
from persistence.models import RefreshToken, User
from realtime.control import EndReason


async def list_sessions(
    session: AsyncSession, user_id: int, current: str | None
) -> list[SessionOut]:
    """The user's live sessions, the most recently used first; `current` marks the
    caller's own."""
    now = datetime.now(UTC)
    live = await stored.live_tokens(session, user_id, now)
    began = await stored.family_starts(session, user_id, {token.family_id for token in live})
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


async def _revoke(
    session: AsyncSession,
    actor: Actor,
    user_id: int,
    *,
    family: str | None = None,
    keep: str | None = None,
    whole_account: bool = False,
) -> list[str]:
    """Revoke the user's live tokens (of `family` only, or all but `keep`'s), audit it as
    the actor's doing and commit; the families that lost any. Every way of ending sessions
    goes through here, so none is left unaudited. A `family` that is not a live session of
    the user's changes nothing and answers 404 `not_found`. `whole_account` also ends every
    access token the user holds, even one from before sessions were named."""
    now = datetime.now(UTC)
    revoked = await stored.revoke_tokens(
        session,
        user_id,
        now,
        reason=EndReason.SESSION_REVOKED,
        family=family,
        keep=keep,
        unexpired_only=True,
    )
    if family is not None and not revoked:
        await session.rollback()
        raise not_found("session")
    if whole_account:
        await record_ended_account(session, user_id, EndReason.SESSION_REVOKED, now)
    target = (AuditTarget.USER, user_id)
    detail = {"sessions": revoked}
    audit.record(session, AuditAction.SESSION_REVOKED, actor, target, detail=detail)
    await session.commit()
    return revoked


async def revoke_session(session: AsyncSession, actor: Actor, family_id: str) -> None:
    """Revoke one of the actor's own sessions; 404 `not_found` if it is not a live one of
    theirs (someone else's answers alike)."""
    assert actor.user_id is not None
    await _revoke(session, actor, actor.user_id, family=family_id)


async def revoke_sessions(session: AsyncSession, actor: Actor, *, keep: str | None) -> list[str]:
    """Revoke every live session of the actor's but `keep` (the caller's own; None: all of
    them, as for an access token from before sessions were named); which ones."""
    assert actor.user_id is not None
    return await _revoke(session, actor, actor.user_id, keep=keep or None)


async def revoke_user_sessions(session: AsyncSession, actor: Actor, user_id: int) -> int:
    """An admin ends every session of a user; 404 `not_found` for no such user."""
    if await session.get(User, user_id) is None:
        raise not_found("user")
    return len(await _revoke(session, actor, user_id, whole_account=True))
