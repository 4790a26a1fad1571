"""Orders: booking, scoped listing, detail with history, and state transitions.

Who may see or move an order is decided by `domain.orders`; this module loads the facts,
asks, and persists the answer with its history and outbox row in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from app import audit
from app.metrics import ORDER_TRANSITIONS, ORDERS_CREATED, TIME_TO_ASSIGN
from app.principal import Principal
from app.schemas.orders import (
    OrderDetailOut,
    OrderEventOut,
    OrderIn,
    OrderOut,
)
from app.services import pricing
from app.services.catalog import own_vehicle
from app.services.offers import close_offers, require_open_offer
from domain.audit import AuditAction, AuditTarget
from domain.booking import OPEN_STATUSES, check_open_orders, check_service_area
from domain.errors import Conflict, Invalid, RefusalKind, not_found
from domain.events import ORDER_CREATED, ORDER_STATUS
from domain.geo import LatLng, ServiceArea, round_coordinate
from domain.offers import OfferUnavailable, needs_offer, shows_order
from domain.orders import (
    ACTIVE_STATUSES,
    OrderFacts,
    OrderStatus,
    TransitionDenied,
    allowed_targets,
    can_view_order,
    check_washer_free,
    decide_transition,
    order_visibility,
)
from domain.roles import Actor, Role
from domain.surge import as_factor
from domain.zones import DEFAULT_ZONE_RESOLUTION, zone_of
from persistence.models import Order, User
from persistence.offers import offer_of
from persistence.order_events import record_order_event
from persistence.order_reads import (
    OrderFilter,
    OrderRow,
    OrderScope,
    order_page,
    order_with_events,
)
from persistence.orders import count_customer_orders
from persistence.washer_availability import busy_washers, lock_washer


def order_out(order: Order) -> OrderOut:
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
        surge_multiplier=(
            None if order.surge_multiplier_pct is None else as_factor(order.surge_multiplier_pct)
        ),
        zone=order.zone,
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def order_out_of_row(row: OrderRow) -> OrderOut:
    """`order_out` for a row of `persistence.order_reads.ORDER_COLUMNS`."""
    multiplier = row.surge_multiplier_pct
    return OrderOut(
        id=row.id,
        customer_id=row.customer_id,
        vehicle_id=row.vehicle_id,
        package_id=row.package_id,
        washer_id=row.washer_id,
        status=row.status,
        price_cents=row.price_cents,
        address=row.address,
        lat=row.lat,
        lng=row.lng,
        scheduled_for=row.scheduled_for,
        notes=row.notes,
        seq=row.last_event_seq,
        version=row.version,
        base_price_cents=row.base_price_cents,
        surge_multiplier=None if multiplier is None else as_factor(multiplier),
        zone=row.zone,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def order_facts(order: Order) -> OrderFacts:
    return OrderFacts(
        order_id=order.id,
        status=OrderStatus(order.status),
        customer_id=order.customer_id,
        washer_id=order.washer_id,
        arrived_at=order.arrived_at,
        seq=order.last_event_seq,
    )


async def open_order_count(session: AsyncSession, customer_id: int) -> int:
    """How many of the customer's orders count against `MAX_OPEN_ORDERS_PER_CUSTOMER`."""
    return await count_customer_orders(session, customer_id, OPEN_STATUSES)


async def create_order(
    session: AsyncSession,
    customer: Principal,
    data: OrderIn,
    *,
    area: ServiceArea | None = None,
    max_open_orders: int | None = None,
    zone_resolution: int = DEFAULT_ZONE_RESOLUTION,
) -> Order:
    """Book a wash. ``area`` and ``max_open_orders`` are the booking limits (`domain.booking`);
    the API always passes them, trusted seeding (demo data, benchmarks) may leave them out.
    The price is the quote's when ``data.quote_id`` names one the customer may use, else the
    zone's current surge (`app.services.pricing`)."""
    vehicle = await own_vehicle(session, customer.id, data.vehicle_id)
    package = await pricing.active_package(session, data.package_id)
    if area is not None:
        check_service_area(area, LatLng(data.lat, data.lng))
    if max_open_orders is not None:
        check_open_orders(await open_order_count(session, customer.id), max_open_orders)
    now = datetime.now(UTC)
    zone = zone_of(LatLng(data.lat, data.lng), zone_resolution)
    priced, quote = await pricing.price_booking(
        session, customer.id, vehicle, package, zone, data.quote_id, now
    )
    order = Order(
        customer_id=customer.id,
        vehicle_id=vehicle.id,
        package_id=package.id,
        status=OrderStatus.PENDING.value,
        price_cents=priced.price_cents,
        base_price_cents=priced.base_price_cents,
        surge_multiplier_pct=priced.multiplier_pct,
        zone=zone,
        address=data.address.strip(),
        lat=round_coordinate(data.lat),
        lng=round_coordinate(data.lng),
        scheduled_for=data.scheduled_for,
        notes=data.notes,
        last_event_seq=0,
    )
    session.add(order)
    await session.flush()
    if quote is not None:
        await pricing.spend_quote(session, quote, order.id, priced)
    await record_order_event(
        session,
        order,
        event_type=ORDER_CREATED,
        from_status=None,
        to_status=OrderStatus.PENDING.value,
        actor_id=customer.id,
        actor_role=customer.role.value,
        reason=None,
        now=now,
    )
    await session.commit()
    ORDERS_CREATED.inc()
    return order


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
    """A page of the orders the caller may see (`domain.orders.order_visibility`), newest
    first, and how many there are in all: one Core query (`persistence.order_reads`)."""
    seen = order_visibility(principal.actor)
    rows, total = await order_page(
        session,
        OrderScope(seen.sees_all, seen.owner_field, seen.user_id),
        OrderFilter([s.value for s in statuses], customer_id, washer_id),
        limit=limit,
        offset=offset,
    )
    return [order_out_of_row(row) for row in rows], total


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
    facts = OrderFacts(
        order_id=row.id,
        status=OrderStatus(row.status),
        customer_id=row.customer_id,
        washer_id=row.washer_id,
        arrived_at=row.arrived_at,
        seq=row.last_event_seq,
    )
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
        order=order_out_of_row(row),
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


async def _check_washer(session: AsyncSession, washer_id: int) -> None:
    user = await session.get(User, washer_id)
    if user is None or user.role != Role.WASHER.value or not user.is_active:
        raise Invalid("unknown_washer", "washer_id does not name an active washer")


async def _check_washer_free(session: AsyncSession, washer_id: int) -> None:
    """Refuse a washer who already works an active order. The washer's profile row is
    locked first (PostgreSQL; SQLite writes one transaction at a time), so two orders taken
    by one washer at once queue here and the second sees the first once it commits."""
    await lock_washer(session, washer_id)
    check_washer_free(washer_id, len(await busy_washers(session, [washer_id])))


async def transition_order(
    session: AsyncSession,
    actor: Actor,
    order_id: int,
    to_status: OrderStatus,
    *,
    washer_id: int | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Order:
    """Apply one state-machine move, whoever asks (a request, the geofence, a tool).

    Refuses with the state machine's `TransitionDenied`, or a `Conflict` when another writer
    got there first (`version_conflict` when `expected_version` is stale).
    """
    order = await session.get(Order, order_id)
    if order is None:
        raise not_found("order")
    now = datetime.now(UTC)
    try:
        move = decide_transition(order_facts(order), actor, to_status, now=now, assign_to=washer_id)
    except TransitionDenied as denied:
        if denied.kind is not RefusalKind.NOT_FOUND:
            raise
        offered = (
            actor.role is Role.WASHER
            and actor.user_id is not None
            and await offer_of(session, order.id, actor.user_id) is not None
        )
        if offered:
            raise OfferUnavailable("another washer took this order first") from None
        raise not_found("order") from None
    if expected_version is not None and expected_version != order.version:
        raise Conflict(
            "version_conflict", "the order has changed; reload it", version=order.version
        )
    if needs_offer(actor, move.from_status, move.to_status):
        assert actor.user_id is not None
        await require_open_offer(session, order, actor.user_id, now)
    if move.washer_id is not None and move.washer_id != order.washer_id:
        await _check_washer(session, move.washer_id)
        if move.to_status in ACTIVE_STATUSES:
            await _check_washer_free(session, move.washer_id)
    previous_washer_id = order.washer_id
    order.status = move.to_status.value
    order.washer_id = move.washer_id
    if move.to_status is OrderStatus.ARRIVED:
        order.arrived_at = now
    first_assignment = move.to_status is OrderStatus.ASSIGNED and order.assigned_at is None
    if first_assignment:
        order.assigned_at = now
    try:
        if move.from_status is OrderStatus.PENDING:
            await close_offers(session, order, now, winner_id=move.washer_id)
        await record_order_event(
            session,
            order,
            event_type=ORDER_STATUS,
            from_status=move.from_status.value,
            to_status=move.to_status.value,
            actor_id=actor.user_id,
            actor_role=actor.role.value,
            reason=reason,
            now=now,
            previous_washer_id=previous_washer_id,
        )
        if actor.role is Role.ADMIN:
            audit.record(
                session,
                AuditAction.ORDER_ADMIN_TRANSITION,
                actor,
                (AuditTarget.ORDER, order.id),
                before={"status": move.from_status.value, "washer_id": previous_washer_id},
                after={"status": move.to_status.value, "washer_id": move.washer_id},
                detail={"reason": reason} if reason else None,
            )
        await session.commit()
    except (StaleDataError, IntegrityError):
        await session.rollback()
        raise Conflict("conflict", "another change to this order won the race; reload it") from None
    ORDER_TRANSITIONS.labels(move.to_status.value).inc()
    if first_assignment:
        TIME_TO_ASSIGN.observe(max(0.0, (now - order.created_at).total_seconds()))
    return order
