"""Login attempts per account, on top of the per-address limit of `app.asgi`.

Counting by address alone lets a guesser with many addresses (a botnet, a cloud account)
try one account's password without end; counting by account as well caps the guesses any
one account can receive, whatever their origin. Counters live in the `rate_limit` store
(Redis when configured, so every process counts together), keyed by a digest of the
normalised email so that the store holds no addresses of people.
"""

from __future__ import annotations

import hashlib
import math
import time

from litestar.stores.base import Store

from app.rate_limit_store import ResilientStore
from domain.errors import RateLimited

WINDOW_SECONDS = 60


def account_key(email: str, window: int) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"login-account:{digest}:{window}"


async def _count(store: Store, key: str) -> int:
    """Add one attempt to the counter `key` and return the count, atomically.

    The app's `rate_limit` store is a `ResilientStore` in every mode (`app.asgi`): its
    `increment` is the one counter, atomic across processes while Redis answers."""
    if not isinstance(store, ResilientStore):
        raise TypeError(f"login limits count in a ResilientStore, not a {type(store).__name__}")
    return await store.increment(key, WINDOW_SECONDS * 2)


async def limit_account_attempts(store: Store, email: str, limit: int) -> None:
    """Count a login attempt for `email`; 429 once the account had `limit` this minute."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    if await _count(store, account_key(email, window)) > limit:
        retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        raise RateLimited(
            "rate_limited",
            "too many login attempts for this account; try again later",
            retry_after=retry_after,
        )


async def limit_mfa_attempts(store: Store, user_id: int, limit: int) -> None:
    """Count a second-factor attempt for the account; 429 once it had `limit` this minute
    (a six-digit code must not be guessable by trying them all)."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    if await _count(store, f"mfa-account:{user_id}:{window}") > limit:
        retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        raise RateLimited(
            "rate_limited",
            "too many codes for this account; try again later",
            retry_after=retry_after,
        )
