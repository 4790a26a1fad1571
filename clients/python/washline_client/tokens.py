"""Token upkeep: the current access token, refreshed ahead of its expiry, one refresh at a time.

Refresh tokens rotate and presenting a used one revokes the whole family, so two concurrent
refreshes would log the user out: every refresh goes through one lock, and a caller that
waited on it reuses the pair the other caller obtained.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import msgspec

REFRESH_MARGIN_SECONDS = 60.0
"""Refresh this long before the access token expires, or with 30% of a shorter lifetime left
(the token's own `exp` is in whole seconds, so it may end up to a second before `expires_at`)."""


class User(msgspec.Struct):
    id: int
    email: str
    role: str
    full_name: str = ""
    is_active: bool = True


class TokenPair(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_at: datetime
    user: User
    token_type: str = "Bearer"


Refresher = Callable[[str], Awaitable[TokenPair]]
"""Exchanges a refresh token for a new pair (the REST client's `POST /api/auth/refresh`)."""
Listener = Callable[[TokenPair], Awaitable[None]]


class TokenKeeper:
    """Holds the session's tokens and keeps the access token fresh."""

    def __init__(self, refresher: Refresher, pair: TokenPair | None = None) -> None:
        self._refresher = refresher
        self._pair = pair
        self._issued_at = datetime.now(UTC)
        self._lock = asyncio.Lock()
        self._listeners: list[Listener] = []

    @property
    def pair(self) -> TokenPair:
        if self._pair is None:
            raise RuntimeError("not logged in: call login() first")
        return self._pair

    @property
    def user(self) -> User:
        return self.pair.user

    @property
    def signed_in(self) -> bool:
        return self._pair is not None

    def set(self, pair: TokenPair) -> None:
        self._pair = pair
        self._issued_at = datetime.now(UTC)

    def on_refresh(self, listener: Listener) -> None:
        """Call `listener` with every new pair (a live socket re-authenticates with it)."""
        self._listeners.append(listener)

    def off_refresh(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def seconds_until_refresh(self) -> float:
        """How long the current access token may be used before it should be refreshed."""
        pair = self.pair
        now = datetime.now(UTC)
        lifetime = (pair.expires_at - self._issued_at).total_seconds()
        margin = min(REFRESH_MARGIN_SECONDS, max(lifetime, 0.0) * 0.3)
        return (pair.expires_at - now).total_seconds() - margin

    async def access_token(self) -> str:
        """A token good for a while yet: refreshed first when it is about to expire."""
        if self.seconds_until_refresh() <= 0:
            await self.refresh(self.pair.access_token)
        return self.pair.access_token

    async def refresh(self, stale: str | None = None) -> TokenPair:
        """Rotate the pair. With `stale`, only if the current token is still that one (a
        caller that lost the race uses the winner's pair)."""
        async with self._lock:
            if stale is not None and self.pair.access_token != stale:
                return self.pair
            pair = await self._refresher(self.pair.refresh_token)
            self.set(pair)
        for listener in list(self._listeners):
            await listener(pair)
        return pair
