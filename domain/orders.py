"""An order's vocabulary: its statuses and their groupings, the facts the rules read, and
the one-job-per-washer rule.

Every other order module (the state machine in :mod:`domain.order_transitions`, visibility in
:mod:`domain.order_visibility`, the services and queries) speaks in these terms, so they live
apart from any one rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from domain.errors import Conflict


class OrderStatus(StrEnum):
    PENDING = "pending"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ARRIVED = "arrived"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


TERMINAL_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.NO_SHOW}
)
"""Finished: nothing leaves these, whoever asks (admins included)."""

ACTIVE_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE, OrderStatus.ARRIVED, OrderStatus.IN_PROGRESS}
)
"""A washer is working the order; it counts as that washer's current job (busy)."""

TRACKABLE_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE, OrderStatus.ARRIVED}
)
"""The customer may see the washer's live position only while the washer is on the way."""

NO_SHOW_WAIT = timedelta(minutes=15)
"""How long a washer must have waited at the address before declaring a no-show."""

WASHER_BUSY = "washer_busy"


class WasherBusy(Conflict):
    """The washer already works another active order: one order at a time per washer."""

    def __init__(self, washer_id: int) -> None:
        super().__init__(WASHER_BUSY, f"washer {washer_id} is already working another order")


def check_washer_free(washer_id: int, other_active_orders: int) -> None:
    """A washer takes an order (accepting it, or an admin assigning it) only while holding
    no other active order; ``other_active_orders`` counts the washer's other orders in an
    active status."""
    if other_active_orders:
        raise WasherBusy(washer_id)


class OrderFacts(msgspec.Struct, frozen=True):
    """What the rules need to know about an order; callers load it, the rules never do."""

    order_id: int
    status: OrderStatus
    customer_id: int
    washer_id: int | None
    arrived_at: datetime | None = None
    seq: int = 0
    """The order's event sequence these facts are as of (0: unknown). Facts travel by more
    than one road (a database read, an event published later), so a reader keeps the newest."""
