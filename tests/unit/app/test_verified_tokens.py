"""The verified-token map: keyed by secret and token, expiry checked on every use, bounded."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar.security.jwt import Token

from app.http.verified_tokens import VerifiedTokens


def _token(exp: float) -> Token:
    return Token(sub="1", exp=datetime.fromtimestamp(exp, UTC), iat=datetime.fromtimestamp(0, UTC))


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_token_is_served_until_it_expires_then_dropped() -> None:
    clock = Clock(4_000_000_000.0)
    tokens = VerifiedTokens(clock=clock)
    token = _token(clock.now + 60)
    tokens.put("s", "abc", token)
    assert tokens.get("s", "abc") is token
    clock.now += 60
    assert tokens.get("s", "abc") is None
    assert len(tokens) == 0


def test_a_token_is_known_only_under_the_secret_it_was_verified_with() -> None:
    clock = Clock(4_000_000_000.0)
    tokens = VerifiedTokens(clock=clock)
    tokens.put("s", "abc", _token(clock.now + 60))
    assert tokens.get("other", "abc") is None
    assert tokens.get("s", "abd") is None


def test_the_oldest_entry_goes_past_the_bound() -> None:
    clock = Clock(4_000_000_000.0)
    tokens = VerifiedTokens(max_entries=2, clock=clock)
    for name in ("a", "b", "c"):
        tokens.put("s", name, _token(clock.now + 60))
    assert len(tokens) == 2
    assert tokens.get("s", "a") is None
    assert tokens.get("s", "c") is not None
