"""The order state machine: which status may follow which, and who may make each move.

This is the one place that decides order transitions. Controllers, the geofence rule and the
admin tools all call :func:`decide_transition` and persist the :class:`Transition` it returns;
none of them re-checks roles or statuses on its own.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.errors import Refusal, RefusalKind
from domain.order_visibility import can_view_order
from domain.orders import ACTIVE_STATUSES, NO_SHOW_WAIT, TERMINAL_STATUSES, OrderFacts, OrderStatus
from domain.roles import Actor, Role

NOT_FOUND = "not_found"
FORBIDDEN = "forbidden"
INVALID_TRANSITION = "invalid_transition"
WASHER_REQUIRED = "washer_required"


class Transition(msgspec.Struct, frozen=True):
    """An approved move. ``washer_id`` is the order's washer after the move: store it."""

    from_status: OrderStatus
    to_status: OrderStatus
    washer_id: int | None


_DENIAL_KINDS = {INVALID_TRANSITION: RefusalKind.CONFLICT, WASHER_REQUIRED: RefusalKind.INVALID}


class TransitionDenied(Refusal):
    """A refused move, with a stable ``code`` a client can act on and a human ``message``.

    ``not_found`` means the actor may not even see the order: answer 404 so that existence
    does not leak. ``forbidden``: visible, but this role may not make this move.
    ``invalid_transition``: nobody may make this move now (or a precondition such as the
    no-show wait is not met). ``washer_required``: the move needs a washer and none was given.
    The code decides the refusal's kind (``not_found`` is a not-found, and so on).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, kind=_DENIAL_KINDS.get(code))


_CUSTOMER_CANCELLABLE = frozenset(
    {OrderStatus.PENDING, OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE, OrderStatus.ARRIVED}
)
_WASHER_OWN_MOVES = frozenset(
    {
        (OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE),
        (OrderStatus.EN_ROUTE, OrderStatus.ARRIVED),
        (OrderStatus.ARRIVED, OrderStatus.IN_PROGRESS),
        (OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED),
        (OrderStatus.ASSIGNED, OrderStatus.PENDING),
        (OrderStatus.ARRIVED, OrderStatus.NO_SHOW),
    }
)
_SYSTEM_MOVES = frozenset({(OrderStatus.EN_ROUTE, OrderStatus.ARRIVED)})
_WORKED_OUTCOMES = frozenset({OrderStatus.COMPLETED, OrderStatus.NO_SHOW})
"""Finishes that say what a washer did (washed the car, waited in vain): an order that never
had a washer cannot end in them."""


def _may_address(actor: Actor, order: OrderFacts) -> bool:
    """Visible, or a pending order a washer might accept."""
    if actor.role == Role.WASHER and order.status == OrderStatus.PENDING:
        return True
    return can_view_order(actor, order)


def _anyone_may(current: OrderStatus, target: OrderStatus) -> bool:
    """The union of every role's moves; outside it the answer is ``invalid_transition``."""
    return current != target and current not in TERMINAL_STATUSES


def decide_transition(
    order: OrderFacts,
    actor: Actor,
    target: OrderStatus,
    *,
    now: datetime,
    assign_to: int | None = None,
) -> Transition:
    """Approve ``order -> target`` for ``actor`` or raise :class:`TransitionDenied`.

    Checks run in a fixed order so the code is stable: visibility (``not_found``) first, then
    whether anyone could make the move (``invalid_transition``), then the role's own rules.
    ``assign_to`` is for admins moving an order to an active status (it picks the washer);
    a washer accepting an order may pass only their own id.
    """
    if not _may_address(actor, order):
        raise TransitionDenied(NOT_FOUND, f"order {order.order_id} not found")
    if not _anyone_may(order.status, target):
        raise TransitionDenied(
            INVALID_TRANSITION, f"an order cannot go from {order.status} to {target}"
        )
    if actor.role == Role.ADMIN:
        return _admin_move(order, target, assign_to)
    if assign_to is not None and not (actor.role == Role.WASHER and assign_to == actor.user_id):
        raise TransitionDenied(FORBIDDEN, f"a {actor.role} may not choose the washer")
    if actor.role == Role.CUSTOMER:
        return _customer_move(order, target)
    if actor.role == Role.WASHER:
        return _washer_move(order, actor, target, now)
    return _system_move(order, target)


def _denied(order: OrderFacts, role: Role, target: OrderStatus) -> TransitionDenied:
    message = f"a {role} may not move an order from {order.status} to {target}"
    return TransitionDenied(FORBIDDEN, message)


def _customer_move(order: OrderFacts, target: OrderStatus) -> Transition:
    if target == OrderStatus.CANCELLED and order.status in _CUSTOMER_CANCELLABLE:
        return Transition(order.status, target, order.washer_id)
    raise _denied(order, Role.CUSTOMER, target)


def _washer_move(order: OrderFacts, actor: Actor, target: OrderStatus, now: datetime) -> Transition:
    if order.status == OrderStatus.PENDING and target == OrderStatus.ASSIGNED:
        return Transition(order.status, target, actor.user_id)
    if order.washer_id != actor.user_id:
        # Beyond accepting it, a pending order that is not theirs is none of a washer's
        # business: answer as for an order that does not exist.
        raise TransitionDenied(NOT_FOUND, f"order {order.order_id} not found")
    if (order.status, target) not in _WASHER_OWN_MOVES:
        raise _denied(order, Role.WASHER, target)
    if target == OrderStatus.NO_SHOW:
        _check_no_show_wait(order, now)
    washer_id = None if target == OrderStatus.PENDING else order.washer_id
    return Transition(order.status, target, washer_id)


def _check_no_show_wait(order: OrderFacts, now: datetime) -> None:
    if order.arrived_at is None:
        raise TransitionDenied(INVALID_TRANSITION, "no-show needs a recorded arrival time")
    waited = now - order.arrived_at
    if waited < NO_SHOW_WAIT:
        minutes = NO_SHOW_WAIT.total_seconds() / 60
        raise TransitionDenied(
            INVALID_TRANSITION,
            f"a no-show may be declared after waiting {minutes:g} minutes at the address",
        )


def _system_move(order: OrderFacts, target: OrderStatus) -> Transition:
    if (order.status, target) in _SYSTEM_MOVES:
        return Transition(order.status, target, order.washer_id)
    raise _denied(order, Role.SYSTEM, target)


def _admin_move(order: OrderFacts, target: OrderStatus, assign_to: int | None) -> Transition:
    """Admins may do anything the state machine allows, but an active order needs a washer
    (``washer_required``: they may pick one) and an order without one cannot be completed
    or declared a no-show (``invalid_transition``)."""
    if target in _WORKED_OUTCOMES and order.washer_id is None:
        raise TransitionDenied(
            INVALID_TRANSITION, f"an order without a washer cannot become {target}"
        )
    if target in ACTIVE_STATUSES:
        washer_id = assign_to if assign_to is not None else order.washer_id
        if washer_id is None:
            raise TransitionDenied(WASHER_REQUIRED, f"moving to {target} needs a washer")
        return Transition(order.status, target, washer_id)
    if assign_to is not None:
        raise TransitionDenied(
            INVALID_TRANSITION, "a washer can only be assigned when moving to an active status"
        )
    washer_id = None if target == OrderStatus.PENDING else order.washer_id
    return Transition(order.status, target, washer_id)


def allowed_targets(order: OrderFacts, actor: Actor, *, now: datetime) -> frozenset[OrderStatus]:
    """Every status the actor could move the order to now, for UIs.

    Agrees with :func:`decide_transition` by construction. A target refused only with
    ``washer_required`` is included: it becomes possible once the admin picks a washer.
    """
    allowed: set[OrderStatus] = set()
    for target in OrderStatus:
        try:
            decide_transition(order, actor, target, now=now)
        except TransitionDenied as denied:
            if denied.code == WASHER_REQUIRED:
                allowed.add(target)
            continue
        allowed.add(target)
    return frozenset(allowed)
