"""Share links of an order and what their recipients see (`domain.sharing`)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.geo import ServiceArea
from domain.orders import OrderStatus


class ShareOut(msgspec.Struct):
    """A new share link. `token` is shown once: only its hash is kept."""

    token: str
    url: str
    expires_at: datetime


class SharedPosition(msgspec.Struct):
    """The washer's last known position, as a recipient sees it (no ids)."""

    lat: float
    lng: float
    ts: datetime
    heading: float | None = None
    speed: float | None = None
    distance_m: float | None = None
    eta_seconds: int | None = None


class SharedOrder(msgspec.Struct):
    """What a share link shows: the order's status, the washer's first name, position and
    ETA while on the way. Nothing about the customer, the car or the price."""

    status: OrderStatus
    washer_first_name: str | None
    position: SharedPosition | None
    expires_at: datetime
    area: ServiceArea


class SharedStatus(msgspec.Struct):
    """`share.status`: the order moved on."""

    status: OrderStatus
    washer_first_name: str | None
    occurred_at: str | None = None


class SharesRevokedOut(msgspec.Struct):
    """How many working links the revocation ended (0 when there were none)."""

    revoked: int
