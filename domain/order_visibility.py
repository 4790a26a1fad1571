"""Who sees which orders, and whose washer's track.

Its own module because visibility is asked far more often than a move is decided (every
read, every live subscription, every position frame), and one definition serves both the
per-order predicates and the queries' filter, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from domain.orders import TRACKABLE_STATUSES, OrderFacts
from domain.roles import Actor, Role

STAFF_ROLES: frozenset[Role] = frozenset({Role.ADMIN, Role.SYSTEM})
"""Admins and the platform itself see every order."""

OwnerField = Literal["customer_id", "washer_id"]
_OWNER_FIELD: dict[Role, OwnerField] = {Role.CUSTOMER: "customer_id", Role.WASHER: "washer_id"}


class OrderVisibility(msgspec.Struct, frozen=True):
    """Which orders an actor sees: every order, or those whose ``owner_field`` (an
    :class:`OrderFacts` field and an ``orders`` column alike) is ``user_id``, or none."""

    sees_all: bool
    owner_field: OwnerField | None = None
    user_id: int | None = None


def order_visibility(actor: Actor) -> OrderVisibility:
    """The one definition of who sees which orders; :func:`can_view_order` applies it to one
    order, and the order queries apply it as a filter, so the two cannot drift apart.

    A customer sees their own orders, a washer only those assigned to them (offers of pending
    orders reach washers through the dispatch flow, which checks the offer itself).
    """
    if actor.role in STAFF_ROLES:
        return OrderVisibility(sees_all=True)
    field = _OWNER_FIELD.get(actor.role)
    if field is None or actor.user_id is None:
        return OrderVisibility(sees_all=False)
    return OrderVisibility(sees_all=False, owner_field=field, user_id=actor.user_id)


def can_view_order(actor: Actor, order: OrderFacts) -> bool:
    """Whether the actor may see the order at all (:func:`order_visibility` for one order)."""
    seen = order_visibility(actor)
    if seen.sees_all:
        return True
    if seen.owner_field is None:
        return False
    owner = order.customer_id if seen.owner_field == "customer_id" else order.washer_id
    return owner is not None and owner == seen.user_id


def may_see_track(actor: Actor, order: OrderFacts, *, recorded: bool = False) -> bool:
    """Whether the actor may see where the order's washer is or went.

    Only someone who can see the order; staff always; others while the washer is on the way
    (:data:`TRACKABLE_STATUSES`). The exception is the order's own washer asking for the
    ``recorded`` path (not the live position), which is their own work: at any time.
    """
    if not can_view_order(actor, order):
        return False
    if actor.role in STAFF_ROLES or (recorded and actor.role == Role.WASHER):
        return True
    return order.status in TRACKABLE_STATUSES
