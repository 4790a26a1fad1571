"""Second factor: enrol an authenticator app, recovery codes, and a login's second step.

Enrolment is two steps: a secret is issued (unconfirmed), and only a correct code from the
app confirms it; then logins to the account answer `mfa_required` after the password
(`app.services.accounts.login`) and finish here. Accepting a code is a conditional UPDATE
(of the factor's last step, or of a recovery code's `used_at`), so of two simultaneous uses
of one code exactly one succeeds.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from litestar.stores.base import Store
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.login_limits import limit_mfa_attempts
from app.mfa_secrets import SecretBox, secret_box
from app.mfa_tokens import read_mfa_token
from app.schemas.accounts import TokenPair
from app.schemas.mfa import MfaStatusOut, RecoveryCodesOut, TotpEnrolmentOut
from app.security import verify_password
from app.services.accounts import issue_tokens
from app.settings import Settings
from domain.audit import AuditAction, AuditTarget
from domain.errors import Conflict, Forbidden, Invalid, Unauthenticated
from domain.mfa import (
    ATTEMPTS_PER_MINUTE,
    RECOVERY_CODE_COUNT,
    hash_recovery_code,
    is_recovery_code_shaped,
    matching_step,
    new_secret,
    provisioning_uri,
)
from domain.roles import Actor, Role
from persistence import mfa as stored
from persistence.models import RecoveryCode, TotpFactor, User
from persistence.sessions import revoke_tokens
from realtime.control import EndReason

INVALID_CODE = Invalid("invalid_mfa_code", "the code is wrong, expired or already used")
NOT_ENABLED = Conflict("mfa_not_enabled", "this account has no second factor")


async def status(session: AsyncSession, user_id: int) -> MfaStatusOut:
    factor = await stored.factor_of(session, user_id)
    left = await stored.recovery_codes_left(session, user_id)
    enabled = factor is not None and factor.confirmed_at is not None
    return MfaStatusOut(enabled=enabled, recovery_codes_left=left if enabled else 0)


async def start_enrolment(
    session: AsyncSession, box: SecretBox, user: User, password: str
) -> TotpEnrolmentOut:
    """A new secret for the app to hold, not yet in force; replaces an unconfirmed one.
    The password is asked again, so that a stolen access token cannot put a factor of its
    holder's on the account."""
    if not await verify_password(user.password_hash, password):
        raise Forbidden("wrong_password", "the password is not the account's")
    factor = await stored.factor_of(session, user.id)
    if factor is not None and factor.confirmed_at is not None:
        raise Conflict("mfa_already_enabled", "disable the second factor before enrolling anew")
    secret = new_secret()
    if factor is None:
        session.add(TotpFactor(user_id=user.id, secret=box.seal(secret)))
    else:
        factor.secret, factor.last_step = box.seal(secret), None
    await session.commit()
    return TotpEnrolmentOut(secret=secret, otpauth_uri=provisioning_uri(secret, user.email))


def _new_recovery_codes(session: AsyncSession, user_id: int) -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        digits = secrets.token_hex(5)
        codes.append(f"{digits[:5]}-{digits[5:]}")
    for code in codes:
        session.add(RecoveryCode(user_id=user_id, code_hash=hash_recovery_code(code)))
    return codes


async def confirm_enrolment(
    session: AsyncSession, box: SecretBox, actor: Actor, code: str, keep_session: str | None
) -> tuple[RecoveryCodesOut, list[str]]:
    """Put the pending secret in force with a code from the app; answers fresh recovery
    codes (any older ones stop working). Every other session of the account ends, since it
    did not pass the factor; `keep_session` (the caller's) proved it just now. Also answers
    the sessions it ended, whose live access the caller ends."""
    assert actor.user_id is not None
    factor = await stored.factor_of(session, actor.user_id)
    if factor is None or factor.confirmed_at is not None:
        raise Conflict("mfa_not_pending", "start an enrolment first (POST /api/me/mfa/totp)")
    now = datetime.now(UTC)
    step = matching_step(box.open(factor.secret), code, now, factor.last_step)
    if step is None:
        raise INVALID_CODE
    factor.confirmed_at, factor.last_step = now, step
    await stored.delete_recovery_codes(session, actor.user_id)
    families = await revoke_tokens(
        session, actor.user_id, now, reason=EndReason.SESSION_REVOKED, keep=keep_session or None
    )
    codes = _new_recovery_codes(session, actor.user_id)
    audit.record(session, AuditAction.MFA_ENABLED, actor, (AuditTarget.USER, actor.user_id))
    await session.commit()
    return RecoveryCodesOut(recovery_codes=codes), families


async def _accept_code(
    session: AsyncSession, box: SecretBox, factor: TotpFactor, code: str
) -> str | None:
    """Spend `code` (a TOTP or a recovery code) if it is good; which kind it was."""
    step = matching_step(box.open(factor.secret), code, datetime.now(UTC), factor.last_step)
    if step is not None:
        won = await stored.spend_step(session, factor.id, step)
        return "totp" if won else None
    if not is_recovery_code_shaped(code):
        return None
    used = await stored.spend_recovery_code(
        session, factor.user_id, hash_recovery_code(code), datetime.now(UTC)
    )
    return "recovery_code" if used else None


async def disable(session: AsyncSession, box: SecretBox, actor: Actor, code: str) -> MfaStatusOut:
    """Remove the second factor; a current code (or a recovery code) proves it is the owner."""
    assert actor.user_id is not None
    factor = await stored.factor_of(session, actor.user_id)
    if factor is None or factor.confirmed_at is None:
        raise NOT_ENABLED
    if await _accept_code(session, box, factor, code) is None:
        await session.rollback()
        raise INVALID_CODE
    await stored.delete_recovery_codes(session, actor.user_id)
    await session.delete(factor)
    audit.record(session, AuditAction.MFA_DISABLED, actor, (AuditTarget.USER, actor.user_id))
    await session.commit()
    return MfaStatusOut(enabled=False, recovery_codes_left=0)


async def complete_login(
    session: AsyncSession,
    settings: Settings,
    store: Store,
    mfa_token: str,
    code: str,
    user_agent: str | None,
) -> TokenPair:
    """The login's second step: the token from `mfa_required` and a code give the tokens."""
    user_id = read_mfa_token(mfa_token, settings)
    await limit_mfa_attempts(store, user_id, ATTEMPTS_PER_MINUTE)
    user = await session.get(User, user_id)
    factor = await stored.factor_of(session, user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("invalid_mfa_token", "the account is no longer active")
    if factor is None or factor.confirmed_at is None:
        raise Unauthenticated("invalid_mfa_token", "the account has no second factor; log in again")
    target = (AuditTarget.USER, user.id)
    kind = await _accept_code(session, secret_box(settings), factor, code)
    if kind is None:
        await session.rollback()
        audit.record(session, AuditAction.MFA_FAILED, None, target)
        await session.commit()
        raise INVALID_CODE
    actor = Actor(user_id=user.id, role=Role(user.role))
    audit.record(session, AuditAction.LOGIN, actor, target, detail={"second_factor": kind})
    return await issue_tokens(session, settings, user, user_agent=user_agent, second_factor=True)
