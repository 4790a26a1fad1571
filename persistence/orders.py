"""Orders as rows, for everything but the order detail and list reads (which their service
composes itself): counts, the recorded track, the waiting orders dispatch pages through,
the active job of washers, demand, and the orders a person takes part in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.offers import OPEN
from domain.orders import ACTIVE_STATUSES, OrderStatus
from persistence.models import DispatchOffer, Order, TrackPoint


def _values(statuses: Collection[OrderStatus]) -> list[str]:
    return [status.value for status in statuses]


async def newest_track_points(session: AsyncSession, order_id: int, limit: int) -> list[TrackPoint]:
    """The order's `limit` newest recorded points, newest first."""
    rows = await session.scalars(
        select(TrackPoint)
        .where(TrackPoint.order_id == order_id)
        .order_by(TrackPoint.recorded_at.desc(), TrackPoint.id.desc())
        .limit(limit)
    )
    return list(rows)


async def waiting_orders_page(
    session: AsyncSession, *, after: int, up_to: int | None, limit: int
) -> list[Order]:
    """Pending orders with no open offer, by id, past `after` (and up to `up_to` if given):
    one page of what dispatch still has to offer."""
    query = select(Order).where(
        Order.status == OrderStatus.PENDING.value,
        ~exists().where(DispatchOffer.order_id == Order.id, DispatchOffer.status == OPEN),
        Order.id > after,
    )
    if up_to is not None:
        query = query.where(Order.id <= up_to)
    return list(await session.scalars(query.order_by(Order.id).limit(limit)))


async def active_jobs(
    session: AsyncSession, washer_ids: Collection[int]
) -> list[tuple[int, int, str, float, float]]:
    """(washer id, order id, status, lat, lng) of every active order of these washers,
    oldest first. Columns, not ORM entities: a refresh of a fleet reads hundreds of
    orders, and identity-mapped objects for them were a tenth of the server's CPU."""
    rows = await session.execute(
        select(Order.washer_id, Order.id, Order.status, Order.lat, Order.lng)
        .where(Order.washer_id.in_(washer_ids), Order.status.in_(_values(ACTIVE_STATUSES)))
        .order_by(Order.id)
    )
    return [
        (washer_id, order_id, status, lat, lng)
        for washer_id, order_id, status, lat, lng in rows.tuples()
        if washer_id is not None
    ]


async def demand_by_zone(
    session: AsyncSession, since: datetime
) -> tuple[Counter[str], list[tuple[float, float]]]:
    """The demand surge pricing counts: orders still pending or booked since `since` (each
    once), counted per zone by the database, plus the coordinates of those with no zone
    (booked before zones existed) for the caller to place."""
    waiting_or_recent = or_(Order.status == OrderStatus.PENDING.value, Order.created_at >= since)
    zoned = await session.execute(
        select(Order.zone, func.count())
        .where(waiting_or_recent, Order.zone.is_not(None))
        .group_by(Order.zone)
    )
    counts: Counter[str] = Counter({str(zone): int(n) for zone, n in zoned.tuples()})
    unzoned = await session.execute(
        select(Order.lat, Order.lng).where(waiting_or_recent, Order.zone.is_(None))
    )
    return counts, [(lat, lng) for lat, lng in unzoned.tuples()]


async def orders_involving(session: AsyncSession, user_id: int) -> list[Order]:
    """The orders the user booked or washed, by id."""
    rows = await session.scalars(
        select(Order)
        .where(or_(Order.customer_id == user_id, Order.washer_id == user_id))
        .order_by(Order.id)
    )
    return list(rows.all())


async def involved_in_any(
    session: AsyncSession, user_id: int, statuses: Collection[OrderStatus]
) -> bool:
    """Whether the user booked or washes an order in one of `statuses`."""
    found = await session.scalar(
        select(
            exists().where(
                or_(Order.customer_id == user_id, Order.washer_id == user_id),
                Order.status.in_(_values(statuses)),
            )
        )
    )
    return bool(found)


async def orders_of_customer(session: AsyncSession, customer_id: int) -> list[Order]:
    rows = await session.scalars(select(Order).where(Order.customer_id == customer_id))
    return list(rows.all())
