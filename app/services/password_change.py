"""A user changes their password: the old one proves it is them, the new one must pass the
policy, and every other session of the account ends (a password is changed because someone
else may know the old one). The caller's own session continues."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.passwords import check_new_password
from app.security import hash_password, verify_password
from app.settings import Settings
from domain.audit import AuditAction, AuditTarget
from domain.errors import Forbidden, not_found
from domain.roles import Actor
from persistence.models import User
from persistence.sessions import revoke_tokens
from realtime.control import EndReason


async def change_password(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    current: str,
    new: str,
    keep_session: str | None,
) -> list[str]:
    """Set the actor's password to `new`; 403 `wrong_password` if `current` is not theirs,
    400 `weak_password` if `new` breaks the policy. Revokes every other live session (all
    of them for a token from before sessions were named) and answers which; commits."""
    assert actor.user_id is not None
    user = await session.get(User, actor.user_id)
    if user is None:
        raise not_found("user")
    if not await verify_password(user.password_hash, current):
        raise Forbidden("wrong_password", "the current password is not the account's")
    check_new_password(new, user.email)
    user.password_hash = await hash_password(new, settings)
    now = datetime.now(UTC)
    ended = await revoke_tokens(
        session, user.id, now, reason=EndReason.PASSWORD_CHANGED, keep=keep_session or None
    )
    target = (AuditTarget.USER, user.id)
    audit.record(session, AuditAction.PASSWORD_CHANGED, actor, target, detail={"sessions": ended})
    await session.commit()
    return ended
