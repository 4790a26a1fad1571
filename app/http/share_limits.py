"""Limits on the public share routes, per client address: they need no account, so the
address is the only handle on a client that hammers them (guessing tokens, or opening
streams until the server runs out of them).

- requests: `GET /api/share/{token}`, `GET /api/share/{token}/events` and `/track/{token}`
  share one budget of `SHARE_RATE_LIMIT_PER_MINUTE` per address, counted by Litestar's
  rate-limit middleware in the same store as the login limit (Redis when configured, so
  across processes), under keys of their own;
- open streams: at most `SHARE_MAX_STREAMS_PER_ADDRESS` share streams per address at once,
  counted in each process (a stream lives in one process; a client spread over several pods
  gets that many in each).

Over either: 429 `rate_limited` with `Retry-After` (`app.http.retry_after`).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address

from app.http.errors import ApiError

SHARE_PATHS = re.compile(r"^/(?:api/share/[^/]+(?:/events)?|track/[^/]+)$")
"""The public routes of a share link (the page's static assets are not counted)."""
STREAM_RETRY_AFTER_SECONDS = 10
"""What a client over the stream cap is told to wait: streams end when pages close."""


def share_rate_limit(per_minute: int) -> RateLimitConfig:
    """The per-address request budget of the share routes (a second instance of the
    middleware that limits logins, with its own keys in the same store)."""

    async def only_share_paths(request: Any) -> bool:
        return bool(SHARE_PATHS.match(request.url.path))

    def share_identifier(request: Any) -> str:
        return f"share:{get_remote_address(request)}"

    return RateLimitConfig(
        rate_limit=("minute", per_minute),
        store="rate_limit",
        check_throttle_handler=only_share_paths,
        identifier_for_request=share_identifier,
    )


class StreamSlots:
    """How many share streams each client address holds open in this process."""

    def __init__(self, per_address: int) -> None:
        self.per_address = per_address
        self._open: Counter[str] = Counter()

    def open_for(self, address: str) -> int:
        return self._open[address]

    def take(self, address: str) -> StreamSlot:
        """A slot for one more stream, or 429 `rate_limited` when the address has its fill."""
        if self._open[address] >= self.per_address:
            raise ApiError(
                429,
                "rate_limited",
                f"at most {self.per_address} open share streams per address",
                headers={"Retry-After": str(STREAM_RETRY_AFTER_SECONDS)},
            )
        self._open[address] += 1
        return StreamSlot(self, address)

    def _give_back(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]


class StreamSlot:
    """One taken slot; `release()` may be called from every path a stream ends by, once
    counts."""

    def __init__(self, slots: StreamSlots, address: str) -> None:
        self._slots = slots
        self._address = address
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._slots._give_back(self._address)
