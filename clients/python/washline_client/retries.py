"""When a REST request is tried again, and how long to wait first.

Retrying is opt-in (`RetryPolicy(attempts=...)`): an app decides whether a failed call is
worth repeating. When it is on, only what cannot be done twice is repeated: a request that
never reached the server, a 429 or 503 (the server did nothing), and a lost answer or a
502/504 of a request that is safe to repeat (GET, PUT, DELETE, or a POST carrying an
`Idempotency-Key`). A login or a token refresh is never repeated after a lost answer: a
refresh token presented twice ends the whole session.

A wait the server asks for (`Retry-After`) is honoured in full, never cut short: when it is
longer than `max_wait` the call fails with the `ApiError` (whose `retry_after` says how
long) instead of being tried early.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods that do no more harm done twice than once."""
GATEWAY_STATUSES = frozenset({502, 504})
"""The answer was lost on the way: repeated only when the request is safe to repeat."""
REFUSED_STATUSES = frozenset({429, 503})
"""The server did nothing: always safe to repeat, after the wait it asks for."""


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asks us to wait: `Retry-After` (seconds or an HTTP date), else the
    `RateLimit-Reset` the server's limiter sends; None when neither says (or is readable)."""
    for name in ("retry-after", "ratelimit-reset"):
        value = headers.get(name)
        if not value:
            continue
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                continue
            seconds = when.timestamp() - time.time()
        return max(0.0, seconds)
    return None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a client repeats failed requests. The default (one attempt) never repeats."""

    attempts: int = 1
    """Tries in all, the first included."""
    max_wait: float = 65.0
    """The longest `Retry-After` waited out; a longer one fails the call instead."""
    first_delay: float = 0.5
    """The pause before the first repeat when the server named none; doubling from there."""
    max_delay: float = 5.0
    on_wait: Callable[[int, float], None] | None = None
    """Told (status, seconds) before every wait a 429 or 503 asked for: an app can show it."""

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.max_wait < 0 or self.first_delay < 0:
            raise ValueError("attempts must be at least 1 and waits must not be negative")

    def delay(self, attempt: int) -> float:
        """The pause after failed attempt number `attempt` (1-based) when nothing was asked."""
        return min(self.first_delay * 2 ** (attempt - 1), self.max_delay)

    @staticmethod
    def repeatable(method: str, idempotent: bool) -> bool:
        return idempotent or method.upper() in SAFE_METHODS
