"""Orders as the caller may see them: the response mapping, the facts the rules read, the
scoped list and the detail with its history and allowed moves.

Who may see an order is decided by `domain.order_visibility`; this module loads the rows, asks, and
maps the answer. A washer also sees an order while it is offered to them (`domain.offers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.principal import Principal
from app.schemas.orders import OrderDetailOut, OrderEventOut, OrderOut
from domain.errors import not_found
from domain.offers import shows_order
from domain.order_transitions import allowed_targets
from domain.order_visibility import can_view_order, order_visibility
from domain.orders import OrderFacts, OrderStatus
from domain.roles import Role
from domain.surge import as_factor
from persistence.models import Order
from persistence.offers import offer_of
from persistence.order_reads import (
    OrderFilter,
    OrderRow,
    OrderScope,
    order_page,
    order_with_events,
)


def order_out(order: Order | OrderRow) -> OrderOut:
    """The API's view of an order, from the ORM object or a row of
    `persistence.order_reads.ORDER_COLUMNS` alike (both name the columns the same)."""
    multiplier = order.surge_multiplier_pct
    return OrderOut(
        id=order.id,
        customer_id=order.customer_id,
        vehicle_id=order.vehicle_id,
        package_id=order.package_id,
        washer_id=order.washer_id,
        status=order.status,
        price_cents=order.price_cents,
        address=order.address,
        lat=order.lat,
        lng=order.lng,
        scheduled_for=order.scheduled_for,
        notes=order.notes,
        seq=order.last_event_seq,
        version=order.version,
        base_price_cents=order.base_price_cents,
        surge_multiplier=None if multiplier is None else as_factor(multiplier),
        zone=order.zone,
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def order_facts(order: Order | OrderRow) -> OrderFacts:
    """What the access and transition rules read of an order (ORM object or row alike)."""
    return OrderFacts(
        order_id=order.id,
        status=OrderStatus(order.status),
        customer_id=order.customer_id,
        washer_id=order.washer_id,
        arrived_at=order.arrived_at,
        seq=order.last_event_seq,
    )


async def list_orders(
    session: AsyncSession,
    principal: Principal,
    *,
    statuses: Sequence[OrderStatus],
    customer_id: int | None,
    washer_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[OrderOut], int]:
    """A page of the orders the caller may see (`domain.order_visibility.order_visibility`),
    newest first, and how many there are in all: one Core query (`persistence.order_reads`)."""
    seen = order_visibility(principal.actor)
    rows, total = await order_page(
        session,
        OrderScope(seen.sees_all, seen.owner_field, seen.user_id),
        OrderFilter([s.value for s in statuses], customer_id, washer_id),
        limit=limit,
        offset=offset,
    )
    return [order_out(row) for row in rows], total


async def visible_order(session: AsyncSession, principal: Principal, order_id: int) -> Order:
    """The order if the caller may see it; otherwise 404, whether it exists or not."""
    order = await session.get(Order, order_id)
    if order is None:
        raise not_found("order")
    if can_view_order(principal.actor, order_facts(order)):
        return order
    if principal.role is Role.WASHER:
        offer = await offer_of(session, order.id, principal.id)
        if offer is not None and shows_order(offer.status):
            return order  # a washer sees an order while it is offered to them
    raise not_found("order")


async def order_detail(
    session: AsyncSession, principal: Principal, order_id: int
) -> OrderDetailOut:
    """The order with its history and the moves the caller may make, if the caller may see
    it (404 otherwise, whether it exists or not). One Core query for the order and its
    events (`persistence.order_reads`); a washer's offer is looked up only when the order is
    not otherwise theirs to see."""
    found = await order_with_events(session, order_id)
    if found is None:
        raise not_found("order")
    row = found.order
    facts = order_facts(row)
    if not can_view_order(principal.actor, facts):
        offer = (
            await offer_of(session, order_id, principal.id)
            if principal.role is Role.WASHER
            else None
        )
        if offer is None or not shows_order(offer.status):
            raise not_found("order")
    targets = allowed_targets(facts, principal.actor, now=datetime.now(UTC))
    return OrderDetailOut(
        order=order_out(row),
        events=[
            OrderEventOut(
                seq=e.event_seq,
                from_status=e.event_from_status,
                to_status=e.event_to_status,
                actor_id=e.event_actor_id,
                actor_role=e.event_actor_role,
                reason=e.event_reason,
                occurred_at=e.event_occurred_at,
            )
            for e in found.events
        ],
        allowed_transitions=sorted(t.value for t in targets),
    )
