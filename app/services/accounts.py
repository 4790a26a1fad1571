"""Accounts: registration, login, refresh-token rotation, logout, admin-created users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ApiError
from app.schemas.accounts import TokenPair, UserOut
from app.security import (
    hash_password,
    hash_refresh_token,
    mint_access_token,
    new_refresh_token,
    verify_password,
)
from app.settings import Settings
from domain.roles import Role
from persistence.models import RefreshToken, User, WasherProfile

INVALID_CREDENTIALS = ApiError(401, "invalid_credentials", "email or password is wrong")


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        is_active=user.is_active,
        created_at=user.created_at,
    )


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
) -> User:
    """Create a user (and a washer profile for washers); commits. 409 if the email is taken."""
    if role is Role.SYSTEM:
        raise ApiError(400, "invalid_role", "the system role cannot be given to a user")
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
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise ApiError(409, "email_taken", "an account with this email already exists") from None
    return user


async def issue_tokens(session: AsyncSession, settings: Settings, user: User) -> TokenPair:
    now = datetime.now(UTC)
    access, expires_at = mint_access_token(user.id, user.role, user.email, settings, now)
    raw, hashed = new_refresh_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=hashed,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    await session.commit()
    return TokenPair(
        access_token=access,
        refresh_token=raw,
        token_type="bearer",
        expires_at=expires_at,
        user=user_out(user),
    )


async def login(session: AsyncSession, settings: Settings, email: str, password: str) -> TokenPair:
    user = await session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not await verify_password(user.password_hash, password):
        raise INVALID_CREDENTIALS
    if not user.is_active:
        raise ApiError(403, "account_disabled", "this account is disabled")
    return await issue_tokens(session, settings, user)


async def _live_refresh_token(session: AsyncSession, raw: str) -> RefreshToken:
    stored = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(raw))
    )
    if stored is None or stored.revoked_at is not None or stored.expires_at <= datetime.now(UTC):
        raise ApiError(401, "invalid_refresh_token", "refresh token is unknown, expired or revoked")
    return stored


async def refresh(session: AsyncSession, settings: Settings, raw: str) -> TokenPair:
    """Rotate: the presented token is revoked and a new pair issued."""
    stored = await _live_refresh_token(session, raw)
    user = await session.get(User, stored.user_id)
    if user is None or not user.is_active:
        raise ApiError(401, "invalid_refresh_token", "the account is no longer active")
    stored.revoked_at = datetime.now(UTC)
    return await issue_tokens(session, settings, user)


async def logout(session: AsyncSession, raw: str) -> None:
    stored = await _live_refresh_token(session, raw)
    stored.revoked_at = datetime.now(UTC)
    await session.commit()


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise ApiError(404, "not_found", "user not found")
    return user
