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


class SharedPin(msgspec.Struct):
    """Where the wash takes place, as a map pin only: rounded (`domain.sharing.pin`), never
    an address."""

    lat: float
    lng: float


class SharedOrder(msgspec.Struct):
    """What a share link shows: the order's status, the washer's position and ETA while on
    the way, the destination as a map pin. No names, nothing about the customer, the car or
    the price."""

    status: OrderStatus
    position: SharedPosition | None
    destination: SharedPin
    expires_at: datetime
    area: ServiceArea


class SharedStatus(msgspec.Struct):
    """`share.status`: the order moved on."""

    status: OrderStatus
    occurred_at: str | None = None


class SharesRevokedOut(msgspec.Struct):
    """How many working links the revocation ended (0 when there were none)."""

    revoked: int
