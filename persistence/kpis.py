"""The aggregates the dashboard is seeded and priced from: open orders, a day's finished
orders and revenue, assignment waits, the newest event of each order, and surge's share.

Each is one statement whatever the number of orders; the board folds them into its own
state (`domain.kpis`), so the rules of what counts stay there.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders import OrderStatus
from persistence.models import Order, OrderEvent


def _values(statuses: Collection[OrderStatus]) -> list[str]:
    return [status.value for status in statuses]


OpenOrderRow = Row[int, str, int, datetime, datetime | None, int | None, datetime | None]


async def orders_in(session: AsyncSession, statuses: Collection[OrderStatus]) -> list[OpenOrderRow]:
    """`id`, `status`, `last_event_seq`, `created_at`, `scheduled_for`, `washer_id` and
    `assigned_at` of every order in one of `statuses`."""
    rows = await session.execute(
        select(
            Order.id,
            Order.status,
            Order.last_event_seq,
            Order.created_at,
            Order.scheduled_for,
            Order.washer_id,
            Order.assigned_at,
        ).where(Order.status.in_(_values(statuses)))
    )
    return list(rows)


async def finished_since(
    session: AsyncSession, since: datetime, statuses: Collection[OrderStatus]
) -> dict[str, tuple[int, int]]:
    """For each of `statuses`, the orders that moved to it since `since`: (how many events,
    the sum of those orders' prices)."""
    rows = await session.execute(
        select(OrderEvent.to_status, func.count(), func.coalesce(func.sum(Order.price_cents), 0))
        .join(Order, Order.id == OrderEvent.order_id)
        .where(OrderEvent.occurred_at >= since, OrderEvent.to_status.in_(_values(statuses)))
        .group_by(OrderEvent.to_status)
    )
    return {status: (int(count), int(revenue)) for status, count, revenue in rows.tuples()}


async def assignments_since(
    session: AsyncSession, since: datetime
) -> list[tuple[datetime, datetime]]:
    """(created, first assigned) of every order first assigned since `since`."""
    rows = await session.execute(
        select(Order.created_at, Order.assigned_at).where(Order.assigned_at >= since)
    )
    return [(created, assigned) for created, assigned in rows.tuples() if assigned is not None]


async def newest_seqs_since(session: AsyncSession, since: datetime) -> dict[int, int]:
    """Each order that moved since `since`: its newest event's number."""
    rows = await session.execute(
        select(OrderEvent.order_id, func.max(OrderEvent.seq))
        .where(OrderEvent.occurred_at >= since)
        .group_by(OrderEvent.order_id)
    )
    return {order_id: seq for order_id, seq in rows.tuples()}


async def average_surge_since(session: AsyncSession, since: datetime) -> float | None:
    """The mean multiplier (percent) of the surge-priced bookings since `since`."""
    average = await session.scalar(
        select(func.avg(Order.surge_multiplier_pct)).where(
            Order.created_at >= since, Order.surge_multiplier_pct.is_not(None)
        )
    )
    return None if average is None else float(average)


async def surge_revenue_since(session: AsyncSession, since: datetime) -> int:
    """What surge added to the price of the orders completed since `since` (cents)."""
    revenue = await session.scalar(
        select(func.coalesce(func.sum(Order.price_cents - Order.base_price_cents), 0))
        .join(OrderEvent, OrderEvent.order_id == Order.id)
        .where(
            OrderEvent.to_status == OrderStatus.COMPLETED.value,
            OrderEvent.occurred_at >= since,
            Order.base_price_cents.is_not(None),
        )
    )
    return int(revenue or 0)
