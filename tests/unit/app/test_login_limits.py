"""Per-account login and second-factor limits, counted in the app's `rate_limit` store (here
the embedded one: this process's memory through `ResilientStore`; the Redis one is in
tests/integration/app/test_rate_limit_store.py)."""

from __future__ import annotations

import asyncio

import pytest
from litestar.stores.memory import MemoryStore

from app import login_limits
from app.login_limits import (
    WINDOW_SECONDS,
    account_key,
    limit_account_attempts,
    limit_mfa_attempts,
)
from app.rate_limit_store import ResilientStore
from domain.errors import RateLimited


async def _attempts(store: ResilientStore, email: str, count: int, limit: int) -> int:
    """How many of ``count`` attempts passed."""
    passed = 0
    for _ in range(count):
        try:
            await limit_account_attempts(store, email, limit)
        except RateLimited:
            continue
        passed += 1
    return passed


async def test_an_account_gets_exactly_its_limit_per_window() -> None:
    store = ResilientStore()
    assert await _attempts(store, "a@example.com", 10, 4) == 4


async def test_the_refusal_says_when_to_try_again_within_the_window() -> None:
    store = ResilientStore()
    await limit_account_attempts(store, "a@example.com", 1)
    with pytest.raises(RateLimited) as caught:
        await limit_account_attempts(store, "a@example.com", 1)
    assert caught.value.code == "rate_limited"
    assert caught.value.retry_after is not None
    assert 1 <= caught.value.retry_after <= WINDOW_SECONDS


async def test_the_same_account_however_spelled_shares_one_counter() -> None:
    store = ResilientStore()
    for spelling in ("Guess@Example.com", " guess@example.com ", "GUESS@EXAMPLE.COM"):
        await limit_account_attempts(store, spelling, 3)
    with pytest.raises(RateLimited):
        await limit_account_attempts(store, "guess@example.com", 3)


async def test_other_accounts_are_not_limited_by_one_under_attack() -> None:
    store = ResilientStore()
    assert await _attempts(store, "victim@example.com", 20, 2) == 2
    assert await _attempts(store, "bystander@example.com", 2, 2) == 2


async def test_concurrent_attempts_never_pass_more_than_the_limit() -> None:
    store = ResilientStore()
    outcomes = await asyncio.gather(
        *(limit_account_attempts(store, "race@example.com", 5) for _ in range(30)),
        return_exceptions=True,
    )
    assert sum(outcome is None for outcome in outcomes) == 5
    assert all(isinstance(o, RateLimited) for o in outcomes if o is not None)


async def test_second_factor_attempts_have_their_own_counter() -> None:
    store = ResilientStore()
    for _ in range(3):
        await limit_mfa_attempts(store, 7, 3)
    with pytest.raises(RateLimited) as caught:
        await limit_mfa_attempts(store, 7, 3)
    assert caught.value.code == "rate_limited"
    await limit_mfa_attempts(store, 8, 3)  # another account
    await limit_account_attempts(store, "seven@example.com", 3)  # logins counted apart


async def test_the_one_counter_is_the_stores_increment() -> None:
    store = ResilientStore()
    await limit_account_attempts(store, "a@example.com", 10)
    window = int(login_limits.time.time() // WINDOW_SECONDS)
    assert await store.increment(account_key("a@example.com", window), 60) == 2


async def test_a_store_that_cannot_count_atomically_is_refused() -> None:
    with pytest.raises(TypeError):
        await limit_account_attempts(MemoryStore(), "a@example.com", 10)


def test_the_store_holds_no_email_address() -> None:
    key = account_key("Someone@Example.com", 123)
    assert "someone" not in key.lower() and "@" not in key
    assert key == account_key(" someone@example.com", 123)
    assert key != account_key("someone@example.com", 124)


async def test_counters_of_past_windows_do_not_pile_up_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app import rate_limit_store
    from tests.support.polling import poll_until

    store = ResilientStore()
    for index in range(50):  # a spray over many accounts: each key is never read again
        await store.increment(f"login-account:{index}:1", 1)
    held = store.fallback._store  # the memory store's entries
    assert len(held) == 50
    monkeypatch.setattr(rate_limit_store, "PURGE_EXPIRED_EVERY_SECONDS", 0.0)
    store._next_purge = 0.0

    async def count_once_more() -> int:
        await store.increment("login-account:fresh:2", 60)
        return len(store.fallback._store)

    assert await poll_until(count_once_more, lambda size: size == 1, within=10) == 1


async def test_per_address_entries_written_in_memory_are_swept_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app import rate_limit_store
    from tests.support.polling import poll_until

    store = ResilientStore()
    for index in range(20):  # what the per-address limit writes, one key per address
        await store.set(f"RateLimitMiddleware::10.0.0.{index}", "{}", expires_in=1)
    monkeypatch.setattr(rate_limit_store, "PURGE_EXPIRED_EVERY_SECONDS", 0.0)
    store._next_purge = 0.0

    async def write_once_more() -> int:
        await store.set("RateLimitMiddleware::10.0.1.1", "{}", expires_in=60)
        return len(store.fallback._store)

    assert await poll_until(write_once_more, lambda size: size == 1, within=10) == 1
