"""Access tokens already verified by this process, so a client's next request skips the
signature check and the claims' parsing.

A client sends the same access token on every request until it refreshes it, and checking
it (base64, JSON, HMAC, the claims turned into datetimes) was the costliest step of
authentication: a few hundred microseconds a request. The outcome of that check depends
only on the token's text and the secret, except for expiry, so the verified token is kept
under both and its expiry is compared with the clock on every use. Whether the token's
session may still be used is not cached here: `app.session_access` asks that on every
request as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from litestar.security.jwt import Token

MAX_ENTRIES = 10_000
"""Bounded memory: past this the oldest entry goes (a few MB of short strings)."""


class VerifiedTokens:
    """A bounded map from (secret, encoded token) to the token it decoded to."""

    def __init__(
        self, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.time
    ) -> None:
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[tuple[str, str], tuple[Token, float]] = {}

    def get(self, secret: str, encoded: str) -> Token | None:
        """The token, if it was verified under `secret` and has not expired since; an
        expired entry is dropped, so the caller's full check reports the expiry."""
        key = (secret, encoded)
        entry = self._entries.get(key)
        if entry is None:
            return None
        token, expires_at = entry
        if expires_at > self._clock():
            return token
        self._entries.pop(key, None)
        return None

    def put(self, secret: str, encoded: str, token: Token) -> None:
        if len(self._entries) >= self._max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[(secret, encoded)] = (token, token.exp.timestamp())

    def __len__(self) -> int:
        return len(self._entries)


VERIFIED = VerifiedTokens()
"""One per process: every route's authentication middleware shares it."""
