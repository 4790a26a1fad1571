"""Headers every HTTP answer carries: `X-Content-Type-Options: nosniff` on all of them, and
`Cache-Control: no-store` on JSON answered to an authenticated caller.

nosniff stops a browser from guessing a type other than the declared one (a JSON error
echoing input must never be run as HTML or script). no-store keeps one user's orders,
tokens and messages out of shared and browser caches. Both are added where
`app.logs.RequestIdMiddleware` already rewrites each response's headers, around the whole
app: so they reach every answer (401s from authentication, router 404s, exception
handlers) at the cost of one scan of the headers, with no extra middleware layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NOSNIFF = (b"x-content-type-options", b"nosniff")
NO_STORE = (b"cache-control", b"no-store")
_JSON = b"application/json"


def _is_json(content_type: bytes) -> bool:
    media_type = content_type.split(b";", 1)[0].strip().lower()
    return media_type == _JSON or (
        media_type.startswith(b"application/") and media_type.endswith(b"+json")
    )


def add_security_headers(scope: Mapping[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    """Append the headers above to a response's headers (in place) unless already set.

    "Authenticated" is what the authentication middleware decided: it stores the caller in
    the request's scope as `user` (None for an anonymous caller of a public route).
    """
    content_type = b""
    has_cache_control = has_nosniff = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-type":
            content_type = value
        elif lowered == NO_STORE[0]:
            has_cache_control = True
        elif lowered == NOSNIFF[0]:
            has_nosniff = True
    if not has_nosniff:
        headers.append(NOSNIFF)
    if not has_cache_control and scope.get("user") is not None and _is_json(content_type):
        headers.append(NO_STORE)
