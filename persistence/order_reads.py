"""The order read path (`GET /api/orders/{id}`, `GET /api/orders`) as Core queries.

These are the API's hottest reads. Through the ORM each cost an identity-map load of every
column, a second round trip for the events (or for the count), and a cache key built anew
for each statement. Here each is one statement, built once per shape with bound
parameters (its cache key is memoized on the statement object), that selects only the
columns an answer needs and returns plain rows: no identity map, no unit of work, no
instrumented attributes. Who may see what stays in `domain.order_visibility`; the callers pass the
scope in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Row, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import Order, OrderEvent

OrderRow: TypeAlias = Row[*tuple[Any, ...]]
"""A row of `ORDER_COLUMNS` (and, from `order_with_events`, one event's `event_*` columns)."""

_order = Order.__table__
_event = OrderEvent.__table__

ORDER_COLUMNS = (
    _order.c.id,
    _order.c.customer_id,
    _order.c.vehicle_id,
    _order.c.package_id,
    _order.c.washer_id,
    _order.c.status,
    _order.c.price_cents,
    _order.c.address,
    _order.c.lat,
    _order.c.lng,
    _order.c.scheduled_for,
    _order.c.notes,
    _order.c.last_event_seq,
    _order.c.version,
    _order.c.base_price_cents,
    _order.c.surge_multiplier_pct,
    _order.c.zone,
    _order.c.created_at,
    _order.c.updated_at,
    _order.c.arrived_at,
)
"""What an order's answer and its access facts need (`arrived_at` is a fact, not shown)."""

EVENT_COLUMNS = (
    _event.c.seq.label("event_seq"),
    _event.c.from_status.label("event_from_status"),
    _event.c.to_status.label("event_to_status"),
    _event.c.actor_id.label("event_actor_id"),
    _event.c.actor_role.label("event_actor_role"),
    _event.c.reason.label("event_reason"),
    _event.c.occurred_at.label("event_occurred_at"),
)

ORDER_DETAIL = (
    select(*ORDER_COLUMNS, *EVENT_COLUMNS)
    .select_from(_order.outerjoin(_event, _event.c.order_id == _order.c.id))
    .where(_order.c.id == bindparam("order_id"))
    .order_by(_event.c.seq)
)
"""The order and its history in one round trip: one row per event, the order's columns
repeated on each (a handful of events per order; cheaper than a second statement)."""


@dataclass(frozen=True, slots=True)
class OrderWithEvents:
    """An order's row and its event rows, oldest first (the same row objects: each carries
    the order's columns and one event's `event_*` columns)."""

    order: OrderRow
    events: list[OrderRow]


async def order_with_events(session: AsyncSession, order_id: int) -> OrderWithEvents | None:
    """The order `order_id` with its events, or None when there is no such order."""
    conn = await session.connection()
    rows = list((await conn.execute(ORDER_DETAIL, {"order_id": order_id})).all())
    if not rows:
        return None
    events = rows if rows[0].event_seq is not None else []
    return OrderWithEvents(order=rows[0], events=events)


@dataclass(frozen=True, slots=True)
class OrderScope:
    """Which orders a list may return: all of them, none, or those whose `owner_field`
    (`customer_id` or `washer_id`) is `user_id` (`domain.order_visibility.order_visibility`)."""

    sees_all: bool
    owner_field: str | None
    user_id: int | None


@dataclass(frozen=True, slots=True)
class OrderFilter:
    statuses: Sequence[str]
    customer_id: int | None
    washer_id: int | None


@lru_cache(maxsize=64)
def _page_statement(
    owner_field: str | None, nothing: bool, statuses: bool, customer: bool, washer: bool
) -> Select[Any]:
    """One statement per shape of filter, values bound at execution. The total rides on
    each row as a window count, so a page is one round trip."""
    conditions: list[ColumnElement[bool]] = []
    if nothing:
        conditions.append(_order.c.id != _order.c.id)
    if owner_field is not None:
        conditions.append(_order.c[owner_field] == bindparam("owner_id"))
    if statuses:
        conditions.append(_order.c.status.in_(bindparam("statuses", expanding=True)))
    if customer:
        conditions.append(_order.c.customer_id == bindparam("customer_id"))
    if washer:
        conditions.append(_order.c.washer_id == bindparam("washer_id"))
    query = select(*ORDER_COLUMNS, func.count().over().label("total")).where(*conditions)
    return query.order_by(_order.c.id.desc()).limit(bindparam("limit")).offset(bindparam("offset"))


async def order_page(
    session: AsyncSession, scope: OrderScope, filters: OrderFilter, *, limit: int, offset: int
) -> tuple[list[OrderRow], int]:
    """One page of orders, newest first, and how many match in all."""
    nothing = not scope.sees_all and scope.owner_field is None
    owner_field = None if scope.sees_all else scope.owner_field
    statement = _page_statement(
        owner_field,
        nothing,
        bool(filters.statuses),
        filters.customer_id is not None,
        filters.washer_id is not None,
    )
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if owner_field is not None:
        params["owner_id"] = scope.user_id
    if filters.statuses:
        params["statuses"] = list(filters.statuses)
    if filters.customer_id is not None:
        params["customer_id"] = filters.customer_id
    if filters.washer_id is not None:
        params["washer_id"] = filters.washer_id
    conn = await session.connection()
    rows = (await conn.execute(statement, params)).all()
    if rows:
        return list(rows), int(rows[0].total)
    if offset == 0:
        return [], 0
    # Past the last page: the window count had no row to ride on.
    counted = select(func.count()).select_from(_order)
    if statement.whereclause is not None:
        counted = counted.where(statement.whereclause)
    total = (await conn.execute(counted, params)).scalar_one()
    return [], int(total)
