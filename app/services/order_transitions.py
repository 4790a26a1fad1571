"""Order state transitions: one state-machine move, whoever asks (a request, the geofence,
a tool, the demo).

Whether the move is allowed is decided by `domain.order_transitions`; this module loads the facts,
checks the washer and the offer, and persists the move with its history, outbox row and
audit entry in one transaction, so a lost race is a `Conflict`, never half a move. The
order's row is read once and written once, as Core statements (`persistence.order_moves`):
the write checks the version that was read, so a race is lost before anything else of the
move is written.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.metrics import ORDER_TRANSITIONS, TIME_TO_ASSIGN
from app.services.offers import close_offers, require_open_offer
from app.services.order_views import order_facts
from domain.audit import AuditAction, AuditTarget
from domain.errors import Conflict, Invalid, RefusalKind, not_found
from domain.events import ORDER_STATUS
from domain.offers import OfferUnavailable, needs_offer
from domain.order_transitions import TransitionDenied, decide_transition
from domain.orders import ACTIVE_STATUSES, OrderStatus, check_washer_free
from domain.roles import Actor, Role
from persistence.models import User
from persistence.offers import offer_of
from persistence.order_events import EventValues, insert_order_event
from persistence.order_moves import OrderChange, order_for_move, write_move
from persistence.order_reads import OrderRow
from persistence.washer_availability import busy_washers, lock_washer


class _RaceLost(Exception):
    """The order's version changed between the read and the write of a move."""


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
) -> OrderRow:
    """Apply one state-machine move, whoever asks (a request, the geofence, a tool).

    Refuses with the state machine's `TransitionDenied`, or a `Conflict` when another writer
    got there first (`version_conflict` when `expected_version` is stale).
    """
    order = await order_for_move(session, order_id)
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
    first_assignment = move.to_status is OrderStatus.ASSIGNED and order.assigned_at is None
    change = OrderChange(
        status=move.to_status.value,
        washer_id=move.washer_id,
        arrived_at=now if move.to_status is OrderStatus.ARRIVED else order.arrived_at,
        assigned_at=now if first_assignment else order.assigned_at,
        last_event_seq=order.last_event_seq + 1,
    )
    try:
        moved = await write_move(session, order, change, now)
        if moved is None:
            raise _RaceLost
        withdrawn = (
            await close_offers(session, moved, now, winner_id=move.washer_id)
            if move.from_status is OrderStatus.PENDING
            else []
        )
        await insert_order_event(
            session,
            moved,
            EventValues(
                order_id=moved.id,
                seq=moved.last_event_seq,
                actor_id=actor.user_id,
                actor_role=actor.role.value,
                from_status=move.from_status.value,
                to_status=move.to_status.value,
                washer_id=moved.washer_id,
                reason=reason,
                occurred_at=now,
            ),
            event_type=ORDER_STATUS,
            previous_washer_id=order.washer_id,
            also_notify=withdrawn,
        )
        if actor.role is Role.ADMIN:
            audit.record(
                session,
                AuditAction.ORDER_ADMIN_TRANSITION,
                actor,
                (AuditTarget.ORDER, moved.id),
                before={"status": move.from_status.value, "washer_id": order.washer_id},
                after={"status": move.to_status.value, "washer_id": move.washer_id},
                detail={"reason": reason} if reason else None,
            )
        await session.commit()
    except (_RaceLost, IntegrityError):
        await session.rollback()
        raise Conflict("conflict", "another change to this order won the race; reload it") from None
    ORDER_TRANSITIONS.labels(move.to_status.value).inc()
    if first_assignment:
        TIME_TO_ASSIGN.observe(max(0.0, (now - moved.created_at).total_seconds()))
    return moved
