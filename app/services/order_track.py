"""An order's recorded track: the washer's path, as far as the caller may see it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.principal import Principal
from app.schemas.orders import TrackPointOut
from app.services.order_views import order_facts, visible_order
from domain.errors import Forbidden, not_found
from domain.order_visibility import can_view_order, may_see_track
from persistence.orders import newest_track_points

TRACK_LIMIT = 2000
"""Newest points returned by `order_track`: a long job at 1 Hz is a few thousand."""


async def order_track(
    session: AsyncSession, principal: Principal, order_id: int
) -> list[TrackPointOut]:
    """The washer's recorded path for the order, oldest first, as
    `domain.order_visibility.may_see_track` allows: a washer merely offered the order does not
    see it at all, a customer sees that it exists but not its track outside the trackable
    statuses."""
    order = await visible_order(session, principal, order_id)
    facts = order_facts(order)
    if not can_view_order(principal.actor, facts):
        raise not_found("order")
    if not may_see_track(principal.actor, facts, recorded=True):
        raise Forbidden("track_unavailable", "the track is visible only while on the way")
    newest = await newest_track_points(session, order.id, TRACK_LIMIT)
    return [
        TrackPointOut(
            lat=p.lat, lng=p.lng, recorded_at=p.recorded_at, speed=p.speed, heading=p.heading
        )
        for p in reversed(newest)
    ]
