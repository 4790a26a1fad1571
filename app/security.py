"""Passwords, access tokens and refresh tokens.

Access tokens are short-lived JWTs carrying the user's id and role, so that authenticating a
request (or a WebSocket) costs no database query. Refresh tokens are random, stored hashed,
rotated on every use and revoked on logout.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.security.jwt import Token

from app.settings import Settings

ALGORITHM = "HS256"
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_STRONG = PasswordHasher()


def _hasher(settings: Settings) -> PasswordHasher:
    return _FAST if settings.password_hash_fast else _STRONG


async def hash_password(password: str, settings: Settings) -> str:
    """argon2id; runs in a thread because a strong hash takes tens of milliseconds."""
    return await asyncio.to_thread(_hasher(settings).hash, password)


_DUMMY_HASHES: dict[bool, str] = {}


async def dummy_password_hash(settings: Settings) -> str:
    """A hash of a random password, made as a real account's would be (same parameters).

    A login for an unknown email verifies against it, so that the answer takes as long as
    for a known email and the response time does not tell who has an account.
    """
    fast = settings.password_hash_fast
    if fast not in _DUMMY_HASHES:
        _DUMMY_HASHES[fast] = await hash_password(secrets.token_urlsafe(24), settings)
    return _DUMMY_HASHES[fast]


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _STRONG.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def mint_access_token(
    user_id: int,
    role: str,
    email: str,
    settings: Settings,
    now: datetime,
    session_id: str | None = None,
    second_factor: bool = False,
) -> tuple[str, datetime]:
    """An access JWT; `session_id` (claim `sid`) names the refresh-token family it came
    with, so the holder's session can be told apart from the user's others, and
    `second_factor` (claim `amr` with `otp`) says that session passed a second factor."""
    expires_at = now + timedelta(seconds=settings.access_token_ttl_seconds)
    token = Token(
        sub=str(user_id),
        exp=expires_at,
        iat=now,
        jti=secrets.token_hex(8),
        extras={
            "role": role,
            "email": email,
            **({"sid": session_id} if session_id else {}),
            **({"amr": ["pwd", "otp"]} if second_factor else {}),
        },
    )
    return token.encode(secret=settings.jwt_secret, algorithm=ALGORITHM), expires_at


def decode_access_token(encoded: str, settings: Settings) -> Token:
    """Raises litestar's NotAuthorizedException when the token is malformed or expired."""
    return Token.decode(encoded, secret=settings.jwt_secret, algorithm=ALGORITHM)


def new_refresh_token() -> tuple[str, str]:
    """A fresh opaque refresh token and the hash under which it is stored."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_refresh_token(raw)


def hash_refresh_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
