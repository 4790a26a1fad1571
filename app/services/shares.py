"""Share links: made by the order's customer, revoked by them, resolved for anyone holding one.

The token is 32 random bytes (URL-safe base64); the database keeps only its SHA-256, so a
leaked table opens no order. Resolving a token checks the rule of `domain.sharing` on the
order as it is now: revoked, expired and finished links are answered like unknown ones.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.principal import Principal
from app.schemas.shares import SharedOrder, SharedPin, SharedPosition, ShareOut
from app.services.order_views import visible_order
from domain.errors import Forbidden
from domain.geo import LatLng, ServiceArea, eta_seconds, haversine_m
from domain.orders import TRACKABLE_STATUSES, OrderStatus
from domain.roles import Role
from domain.sharing import (
    check_shareable,
    is_alive,
    looks_like_token,
    pin,
    share_not_found,
)
from persistence.models import Order, OrderShare
from persistence.orders import newest_track_points
from persistence.shares import revoke_order_shares, share_by_hash

TRACK_PAGE = "/track/"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_share(
    session: AsyncSession, principal: Principal, order_id: int, ttl_seconds: int
) -> ShareOut:
    """A new link for the caller's own order (customers only; others see 404 / 403)."""
    order = await visible_order(session, principal, order_id)
    if principal.role is not Role.CUSTOMER or order.customer_id != principal.id:
        raise Forbidden("forbidden", "only the order's customer may share it")
    check_shareable(order.status)
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires_at = now + timedelta(seconds=ttl_seconds)
    session.add(
        OrderShare(
            order_id=order.id,
            created_by=principal.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.commit()
    return ShareOut(token=token, url=TRACK_PAGE + token, expires_at=expires_at)


async def revoke_shares(session: AsyncSession, principal: Principal, order_id: int) -> int:
    """Revoke every working link of the caller's order; answers how many were revoked."""
    order = await visible_order(session, principal, order_id)
    if principal.role is not Role.CUSTOMER or order.customer_id != principal.id:
        raise Forbidden("forbidden", "only the order's customer may revoke its links")
    revoked = await revoke_order_shares(session, order.id, datetime.now(UTC))
    await session.commit()
    return revoked


@dataclass(frozen=True)
class ResolvedShare:
    """A working link: its order and when the link itself runs out."""

    order: Order
    expires_at: datetime


async def resolve(session: AsyncSession, token: str) -> ResolvedShare:
    """The order a working token shares, or `share_not_found` (whatever the reason)."""
    if not looks_like_token(token):
        raise share_not_found()
    share = await share_by_hash(session, token_hash(token))
    if share is None:
        raise share_not_found()
    order = await session.get(Order, share.order_id, populate_existing=True)
    if order is None or not is_alive(
        revoked_at=share.revoked_at,
        expires_at=share.expires_at,
        order_status=order.status,
        now=datetime.now(UTC),
    ):
        raise share_not_found()
    return ResolvedShare(order=order, expires_at=share.expires_at)


async def last_position(session: AsyncSession, order: Order) -> SharedPosition | None:
    """The washer's newest recorded fix for the order while on the way, with its ETA."""
    status = OrderStatus(order.status)
    if status not in TRACKABLE_STATUSES:
        return None
    newest = await newest_track_points(session, order.id, 1)
    if not newest:
        return None
    point = newest[0]
    distance = haversine_m(LatLng(point.lat, point.lng), LatLng(order.lat, order.lng))
    return SharedPosition(
        lat=point.lat,
        lng=point.lng,
        ts=point.recorded_at,
        heading=point.heading,
        speed=point.speed,
        distance_m=round(distance, 1),
        eta_seconds=0 if status is OrderStatus.ARRIVED else eta_seconds(distance, point.speed),
    )


async def shared_order(
    session: AsyncSession, share: ResolvedShare, area: ServiceArea
) -> SharedOrder:
    order = share.order
    lat, lng = pin(order.lat, order.lng)
    return SharedOrder(
        status=OrderStatus(order.status),
        position=await last_position(session, order),
        destination=SharedPin(lat=lat, lng=lng),
        expires_at=share.expires_at,
        area=area,
    )
