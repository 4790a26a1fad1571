"""User accounts, their sessions (refresh-token families) and second factors."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.base import IdentityAuditBase, IdentityBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.limits import EMAIL_MAX, NAME_MAX, USER_AGENT_MAX


class User(IdentityAuditBase):
    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(NAME_MAX))
    role: Mapped[str] = mapped_column(String(16), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class RefreshToken(IdentityAuditBase):
    """A refresh token, stored only as its SHA-256 so a database leak grants nothing.

    Every token descended from one login shares a `family_id`: replaying a token that was
    already rotated means it was copied, so the whole family is revoked, the thief's and the
    owner's alike.
    """

    __tablename__ = "refresh_token"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The device and address the token was issued to: a session's newest token says where
    it was last used."""


class TotpFactor(IdentityAuditBase):
    """A user's authenticator (TOTP) secret. Unconfirmed until a first code proves the app
    holds it; only a confirmed factor is asked for at login. `last_step` is the time step of
    the last code accepted, so no code is accepted twice."""

    __tablename__ = "totp_factor"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    secret: Mapped[str] = mapped_column(String(255))
    """Sealed (`app.mfa_secrets`): encrypted under `MFA_ENCRYPTION_KEY`."""
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RecoveryCode(IdentityBase):
    """A single-use recovery code, stored only as its SHA-256."""

    __tablename__ = "recovery_code"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class EndedAccess(IdentityBase):
    """A session or a whole account whose access tokens ended before they expire.

    Access tokens are checked without the database; every process keeps the ends of the
    last token lifetime in memory and polls this table for new ones (`app.session_access`).
    A row with a `family_id` ends that session's tokens; one without ends every token the
    user held then (a deactivated or erased account, every session ended by an admin).
    Tokens issued after `ended_at` are not touched: a reactivated account logs in again.
    """

    __tablename__ = "ended_access"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    family_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str] = mapped_column(String(32))
    ended_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
