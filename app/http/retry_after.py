"""Every 429 says when to come back: `Retry-After` (RFC 9110, section 10.2.3).

Limits answer 429 from several places: the per-address middleware (which sends only the
draft `RateLimit-*` headers), the per-account login limit, the share-stream cap, the live
stream cap. A client should not have to know which one it hit. Every one of them raises, so
every 429 is built by the exception handlers (`app.http.errors`), which call
`with_retry_after` on its headers: no wrapper around the application inspects each response.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_RETRY_AFTER_SECONDS = 10
"""For a 429 that says nothing of its window: the chat limit's (ten messages in ten seconds)."""


def retry_after(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The `Retry-After` value a 429 with these headers should get, or None if it has one."""
    reset = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"retry-after":
            return None
        if lowered == b"ratelimit-reset":
            reset = value
    try:
        seconds = int(reset) if reset is not None else DEFAULT_RETRY_AFTER_SECONDS
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER_SECONDS
    return str(max(1, seconds)).encode()


def with_retry_after(headers: Mapping[str, str] | None) -> dict[str, str]:
    """A 429's headers with `Retry-After` added unless it has one (from `RateLimit-Reset`
    when there is one, else `DEFAULT_RETRY_AFTER_SECONDS`)."""
    result = dict(headers or {})
    value = retry_after([(k.encode("latin-1"), v.encode("latin-1")) for k, v in result.items()])
    if value is not None:
        result["Retry-After"] = value.decode()
    return result
