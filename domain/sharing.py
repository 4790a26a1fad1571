"""Share links: who may make one, when a link is alive, and what its recipient may see.

A share link lets anyone holding it watch ONE order on the way, without an account: the
status, the washer's position and ETA, the destination as a rounded map pin. No names (neither
the customer's nor the washer's), no address text, no car, no price and no ids leave
through it. The rules are
here, once, for the REST answer, the live stream and the page alike.
"""

from __future__ import annotations

import re
from datetime import datetime

from domain.errors import Conflict, NotFound
from domain.orders import OrderStatus

SHARE_NOT_FOUND = "share_not_found"
SHARE_ENDED = "share_ended"
"""The code of the last event of a share stream whose link stopped working."""
ORDER_FINISHED = "order_finished"

ENDED_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.NO_SHOW}
)
"""A link stops working when its order reaches one of these (the recipient sees it happen)."""

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
"""What a share token looks like (URL-safe base64 of 32 random bytes is 43 characters);
anything else is refused before any lookup."""


PIN_DECIMALS = 3
"""Decimal places of the destination pin's degrees (0.001 degree of latitude is ~111 m)."""


def share_not_found() -> NotFound:
    """Unknown, malformed, revoked and expired links are answered alike: nothing leaks."""
    return NotFound(SHARE_NOT_FOUND, "this share link does not exist or has expired")


def check_shareable(status: str) -> None:
    """A finished order has nothing left to watch: refuse a link for it."""
    if status in ENDED_STATUSES:
        raise Conflict(ORDER_FINISHED, "the order is finished; there is nothing to share")


def looks_like_token(token: str) -> bool:
    return bool(TOKEN_PATTERN.match(token))


def is_alive(
    *, revoked_at: datetime | None, expires_at: datetime, order_status: str, now: datetime
) -> bool:
    """A link works until it is revoked, its TTL runs out or its order finishes."""
    return revoked_at is None and now < expires_at and order_status not in ENDED_STATUSES


def pin(lat: float, lng: float) -> tuple[float, float]:
    """The destination as a recipient sees it: rounded to `PIN_DECIMALS` places (about
    110 m), enough for a pin on the map, not enough to point at one house."""
    return round(lat, PIN_DECIMALS), round(lng, PIN_DECIMALS)
