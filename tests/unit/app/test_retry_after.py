"""`with_retry_after`: the headers every 429 leaves the exception handlers with."""

from __future__ import annotations

from app.http.retry_after import DEFAULT_RETRY_AFTER_SECONDS, with_retry_after


def test_a_429_without_a_window_gets_the_default() -> None:
    assert with_retry_after(None) == {"Retry-After": str(DEFAULT_RETRY_AFTER_SECONDS)}


def test_the_rate_limit_reset_becomes_the_retry_after() -> None:
    headers = {"RateLimit-Limit": "3", "RateLimit-Reset": "42"}
    assert with_retry_after(headers) == {**headers, "Retry-After": "42"}


def test_a_retry_after_already_there_is_kept() -> None:
    assert with_retry_after({"Retry-After": "7"}) == {"Retry-After": "7"}
    assert with_retry_after({"retry-after": "7"}) == {"retry-after": "7"}


def test_the_given_headers_are_not_changed() -> None:
    headers = {"RateLimit-Reset": "5"}
    with_retry_after(headers)
    assert headers == {"RateLimit-Reset": "5"}
