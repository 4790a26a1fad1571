"""Accounts: registration, login, refresh-token rotation, logout, admin-created users.

Refresh tokens rotate: each use revokes the presented token and issues a successor in the
same family. The revocation is a conditional UPDATE whose row count decides the winner, so
of many simultaneous uses of one token exactly one succeeds; presenting a token that is
already revoked (a replay, or the losers of such a race) revokes its whole family, since
either the owner or a thief holds a copy and the server cannot tell which.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.mfa_tokens import mfa_required
from app.passwords import check_new_password
from app.schemas.accounts import TokenPair, UserOut
from app.schemas.rows import from_row
from app.security import (
    dummy_password_hash,
    hash_password,
    hash_refresh_token,
    mint_access_token,
    new_refresh_token,
    verify_password,
)
from app.settings import Settings
from domain.audit import AuditAction, AuditTarget
from domain.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from domain.roles import SYSTEM_ACTOR, Actor, Role
from persistence import accounts as stored_accounts
from persistence import sessions as stored_sessions
from persistence.access_ends import record_ended_sessions
from persistence.models import USER_AGENT_MAX, User, WasherProfile
from realtime.control import EndReason

INVALID_CREDENTIALS = Unauthenticated("invalid_credentials", "email or password is wrong")


def user_out(user: User) -> UserOut:
    return from_row(UserOut, user)


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_user(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    full_name: str,
    role: Role,
    is_available: bool = False,
    actor: Actor = SYSTEM_ACTOR,
    self_service: bool = False,
) -> User:
    """Create a user (and a washer profile for washers); commits. 409 if the email is taken,
    400 `weak_password` if the password breaks the policy (`domain.passwords`).

    Audited as `user.created` by `actor` (an admin, or the system for the CLI and demo
    data), or as `auth.register` by the new user when `self_service`."""
    if role is Role.SYSTEM:
        raise Invalid("invalid_role", "the system role cannot be given to a user")
    check_new_password(password, email)
    user = User(
        email=normalise_email(email),
        password_hash=await hash_password(password, settings),
        full_name=full_name.strip(),
        role=role.value,
        is_active=True,
    )
    session.add(user)
    try:
        await session.flush()
        if role is Role.WASHER:
            session.add(WasherProfile(user_id=user.id, is_available=is_available))
        if self_service:
            actor = Actor(user_id=user.id, role=role)
        action = AuditAction.REGISTER if self_service else AuditAction.USER_CREATED
        audit.record(session, action, actor, (AuditTarget.USER, user.id), after={"role": role})
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict("email_taken", "an account with this email already exists") from None
    return user


async def issue_tokens(
    session: AsyncSession,
    settings: Settings,
    user: User | UserOut,
    family_id: str | None = None,
    user_agent: str | None = None,
    *,
    second_factor: bool | None = None,
) -> TokenPair:
    """A new access token and refresh token; a login starts a family (a session), a refresh
    continues it. The refresh token records the device and address it went to.

    Every live session of an account with a second factor passed it: logins go through it,
    and confirming one ends the account's other sessions (`app.services.mfa`). So the new
    tokens say the second factor was passed when the account has one in force:
    `second_factor`, when the caller knows it already, or asked here."""
    now = datetime.now(UTC)
    family_id = family_id or secrets.token_hex(16)
    if second_factor is None:
        second_factor = await stored_accounts.has_confirmed_factor(session, user.id)
    access, expires_at = mint_access_token(
        user.id,
        user.role,
        user.email,
        settings,
        now,
        session_id=family_id,
        second_factor=second_factor,
    )
    raw, hashed = new_refresh_token()
    await stored_sessions.add_token(
        session,
        {
            "user_id": user.id,
            "token_hash": hashed,
            "expires_at": now + timedelta(seconds=settings.refresh_token_ttl_seconds),
            "family_id": family_id,
            "user_agent": user_agent[:USER_AGENT_MAX] if user_agent else None,
            "address": audit.request_origin().address,
        },
    )
    await session.commit()
    return TokenPair(
        access_token=access,
        refresh_token=raw,
        token_type="bearer",
        expires_at=expires_at,
        user=user if isinstance(user, UserOut) else user_out(user),
    )


async def login(
    session: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    user_agent: str | None = None,
) -> TokenPair:
    """Every attempt verifies one password hash, a dummy one for an unknown email, so the
    time taken does not reveal whether the email has an account. A disabled account is
    named only to a caller who knows its password. An account with a second factor answers
    401 `mfa_required` with a token for the second step (`app.services.mfa`)."""
    user = await stored_accounts.user_by_email(session, normalise_email(email))
    stored_hash = user.password_hash if user is not None else await dummy_password_hash(settings)
    if not await verify_password(stored_hash, password) or user is None:
        await _login_failed(session, user, "unknown_email" if user is None else "wrong_password")
        raise INVALID_CREDENTIALS
    if not user.is_active:
        await _login_failed(session, user, "account_disabled")
        raise Forbidden("account_disabled", "this account is disabled")
    if await stored_accounts.has_confirmed_factor(session, user.id):
        raise mfa_required(user.id, settings)
    actor = Actor(user_id=user.id, role=Role(user.role))
    audit.record(session, AuditAction.LOGIN, actor, (AuditTarget.USER, user.id))
    return await issue_tokens(session, settings, user, user_agent=user_agent, second_factor=False)


async def _login_failed(session: AsyncSession, user: User | None, reason: str) -> None:
    """Audit a refused login (committed on its own: the refusal changes nothing else)."""
    target = (AuditTarget.USER, user.id if user else None)
    audit.record(session, AuditAction.LOGIN_FAILED, None, target, detail={"reason": reason})
    await session.commit()


INVALID_REFRESH_TOKEN = Unauthenticated(
    "invalid_refresh_token", "refresh token is unknown, expired or revoked"
)


async def _revoke_family(session: AsyncSession, family_id: str, user_id: int) -> None:
    audit.record(
        session,
        AuditAction.TOKEN_REPLAY,
        None,
        (AuditTarget.USER, user_id),
        detail={"family_id": family_id},
    )
    await stored_sessions.revoke_family(
        session, family_id, user_id, EndReason.SESSION_REVOKED, datetime.now(UTC)
    )
    await session.commit()


async def _claim_refresh_token(session: AsyncSession, raw: str) -> tuple[int, str]:
    """Revoke the presented token if it is live, atomically; refuse it otherwise.

    The conditional UPDATE is the transaction's first statement, so it both decides the race
    (only one caller sees the row) and, on SQLite, takes the write lock before anything is
    read. A token known but already revoked is a replay: its family is revoked before
    refusing. Returns the token's user id and family.
    """
    now = datetime.now(UTC)
    hashed = hash_refresh_token(raw)
    claimed = await stored_sessions.claim_live_token(session, hashed, now)
    if claimed is not None:
        return claimed
    stored = await stored_sessions.token_state(session, hashed)
    if stored is not None and stored.revoked_at is not None:
        await _revoke_family(session, stored.family_id, stored.user_id)
    else:
        await session.rollback()
    raise INVALID_REFRESH_TOKEN


async def refresh(
    session: AsyncSession, settings: Settings, raw: str, user_agent: str | None = None
) -> TokenPair:
    """Rotate: the presented token is revoked and a new pair issued in the same family."""
    user_id, family_id = await _claim_refresh_token(session, raw)
    account = await stored_accounts.account_for_tokens(session, user_id)
    if account is None or not account.is_active:
        await session.rollback()
        raise Unauthenticated("invalid_refresh_token", "the account is no longer active")
    return await issue_tokens(
        session,
        settings,
        from_row(UserOut, account),
        family_id=family_id,
        user_agent=user_agent,
        second_factor=bool(account.second_factor),
    )


async def logout(session: AsyncSession, raw: str) -> tuple[int, str]:
    """Revoke the presented token (and, through replay detection, a stolen copy's family):
    its session ends. The user and session it ended."""
    user_id, family_id = await _claim_refresh_token(session, raw)
    reason = EndReason.SESSION_REVOKED
    await record_ended_sessions(session, user_id, [family_id], reason, datetime.now(UTC))
    await session.commit()
    return user_id, family_id


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("not_found", "user not found")
    return user
