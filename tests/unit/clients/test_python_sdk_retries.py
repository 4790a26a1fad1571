"""How long a refused request asks to be left alone (`Retry-After`, else `RateLimit-Reset`),
as the SDK reads it, and the policy's own limits."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest
from washline_client import RetryPolicy, retry_after


def test_a_429_is_waited_out_for_as_long_as_the_server_says() -> None:
    assert retry_after(httpx.Headers({"retry-after": "12"})) == 12.0
    assert retry_after(httpx.Headers({"ratelimit-reset": "40"})) == 40.0
    assert retry_after(httpx.Headers({"retry-after": "0"})) == 0.0
    assert retry_after(httpx.Headers({"retry-after": "86400"})) == 86400.0  # never cut short
    assert retry_after(httpx.Headers({})) is None
    assert retry_after(httpx.Headers({"retry-after": "soon"})) is None
    assert retry_after(httpx.Headers({"retry-after": "3", "ratelimit-reset": "40"})) == 3.0


def test_an_http_date_says_how_long_from_now() -> None:
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = retry_after(httpx.Headers({"retry-after": later}))
    assert seconds is not None and 25 <= seconds <= 31
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert retry_after(httpx.Headers({"retry-after": past})) == 0.0


def test_the_default_policy_never_repeats_and_delays_double_up_to_a_cap() -> None:
    assert RetryPolicy().attempts == 1
    policy = RetryPolicy(attempts=4, first_delay=0.5, max_delay=3.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]
    assert RetryPolicy.repeatable("GET", idempotent=False)
    assert RetryPolicy.repeatable("POST", idempotent=True)
    assert not RetryPolicy.repeatable("POST", idempotent=False)
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
