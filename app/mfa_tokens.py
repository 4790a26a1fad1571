"""The proof that a login passed its password and now owes its second factor.

A short-lived JWT of its own type (`typ: mfa`) carrying only the user id: it has no role, so
the authentication middleware never takes it for an access token, and an access token is
never taken for it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import jwt

from app.security import ALGORITHM
from app.settings import Settings
from domain.errors import Unauthenticated
from domain.mfa import MFA_TOKEN_TTL

TOKEN_TYPE = "mfa"
INVALID_MFA_TOKEN = Unauthenticated(
    "invalid_mfa_token", "the login's second step expired or is invalid; log in again"
)


def mint_mfa_token(user_id: int, settings: Settings) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "typ": TOKEN_TYPE, "iat": now, "exp": now + MFA_TOKEN_TTL}
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def read_mfa_token(token: str, settings: Settings) -> int:
    """The user id the token was minted for; 401 `invalid_mfa_token` otherwise."""
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=[ALGORITHM])
        if claims.get("typ") != TOKEN_TYPE:
            raise INVALID_MFA_TOKEN
        return int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError):
        raise INVALID_MFA_TOKEN from None


def mfa_required(user_id: int, settings: Settings) -> Unauthenticated:
    """The answer to a right password for an account with a second factor: 401
    `mfa_required` carrying the `mfa_token` to send with the code to `/api/auth/mfa`."""
    return Unauthenticated(
        "mfa_required",
        "enter the code from your authenticator app (or a recovery code)",
        mfa_token=mint_mfa_token(user_id, settings),
    )
