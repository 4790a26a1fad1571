"""Order rules the big table cannot show: preconditions, assign_to, visibility, constants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.orders import (
    ACTIVE_STATUSES,
    NO_SHOW_WAIT,
    TERMINAL_STATUSES,
    TRACKABLE_STATUSES,
    OrderFacts,
    OrderStatus,
    Transition,
    TransitionDenied,
    allowed_targets,
    can_view_order,
    decide_transition,
)
from domain.roles import Actor, Role

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CUSTOMER = Actor(user_id=10, role=Role.CUSTOMER)
WASHER = Actor(user_id=20, role=Role.WASHER)
OTHER_WASHER = Actor(user_id=21, role=Role.WASHER)
ADMIN = Actor(user_id=1, role=Role.ADMIN)
SYSTEM = Actor(user_id=None, role=Role.SYSTEM)


def order(
    status: OrderStatus, washer_id: int | None = 20, arrived_at: datetime | None = None
) -> OrderFacts:
    return OrderFacts(
        order_id=7, status=status, customer_id=10, washer_id=washer_id, arrived_at=arrived_at
    )


def test_status_sets() -> None:
    assert {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.NO_SHOW} == TERMINAL_STATUSES
    assert {"assigned", "en_route", "arrived", "in_progress"} == ACTIVE_STATUSES
    assert {"assigned", "en_route", "arrived"} == TRACKABLE_STATUSES
    assert timedelta(minutes=15) == NO_SHOW_WAIT


def test_no_show_before_the_wait_is_invalid() -> None:
    arrived = order(OrderStatus.ARRIVED, arrived_at=NOW - timedelta(minutes=14, seconds=59))
    with pytest.raises(TransitionDenied) as denied:
        decide_transition(arrived, WASHER, OrderStatus.NO_SHOW, now=NOW)
    assert denied.value.code == "invalid_transition"
    assert OrderStatus.NO_SHOW not in allowed_targets(arrived, WASHER, now=NOW)


def test_no_show_exactly_at_the_wait_is_allowed() -> None:
    arrived = order(OrderStatus.ARRIVED, arrived_at=NOW - NO_SHOW_WAIT)
    transition = decide_transition(arrived, WASHER, OrderStatus.NO_SHOW, now=NOW)
    assert transition == Transition(OrderStatus.ARRIVED, OrderStatus.NO_SHOW, 20)


def test_no_show_without_an_arrival_time_is_invalid() -> None:
    with pytest.raises(TransitionDenied) as denied:
        decide_transition(order(OrderStatus.ARRIVED), WASHER, OrderStatus.NO_SHOW, now=NOW)
    assert denied.value.code == "invalid_transition"


def test_admin_assigns_a_pending_order_to_a_chosen_washer() -> None:
    pending = order(OrderStatus.PENDING, washer_id=None)
    transition = decide_transition(pending, ADMIN, OrderStatus.ASSIGNED, now=NOW, assign_to=33)
    assert transition == Transition(OrderStatus.PENDING, OrderStatus.ASSIGNED, 33)


def test_admin_reassigns_an_assigned_order() -> None:
    assigned = order(OrderStatus.ASSIGNED)
    transition = decide_transition(assigned, ADMIN, OrderStatus.EN_ROUTE, now=NOW, assign_to=34)
    assert transition.washer_id == 34


def test_admin_assign_to_with_an_inactive_target_is_invalid() -> None:
    with pytest.raises(TransitionDenied) as denied:
        decide_transition(
            order(OrderStatus.ASSIGNED), ADMIN, OrderStatus.CANCELLED, now=NOW, assign_to=34
        )
    assert denied.value.code == "invalid_transition"


def test_admin_assigning_with_no_washer_is_washer_required() -> None:
    with pytest.raises(TransitionDenied) as denied:
        decide_transition(order(OrderStatus.PENDING, None), ADMIN, OrderStatus.ASSIGNED, now=NOW)
    assert denied.value.code == "washer_required"


def test_washer_accepting_takes_the_order_for_themselves() -> None:
    pending = order(OrderStatus.PENDING, washer_id=None)
    transition = decide_transition(pending, OTHER_WASHER, OrderStatus.ASSIGNED, now=NOW)
    assert transition.washer_id == 21
    same = decide_transition(pending, OTHER_WASHER, OrderStatus.ASSIGNED, now=NOW, assign_to=21)
    assert same == transition


def test_washer_may_not_assign_someone_else() -> None:
    pending = order(OrderStatus.PENDING, washer_id=None)
    with pytest.raises(TransitionDenied) as denied:
        decide_transition(pending, WASHER, OrderStatus.ASSIGNED, now=NOW, assign_to=99)
    assert denied.value.code == "forbidden"


def test_customer_may_not_choose_a_washer() -> None:
    with pytest.raises(TransitionDenied) as denied:
        decide_transition(
            order(OrderStatus.ASSIGNED), CUSTOMER, OrderStatus.CANCELLED, now=NOW, assign_to=20
        )
    assert denied.value.code == "forbidden"


def test_washer_release_clears_the_washer() -> None:
    transition = decide_transition(
        order(OrderStatus.ASSIGNED), WASHER, OrderStatus.PENDING, now=NOW
    )
    assert transition == Transition(OrderStatus.ASSIGNED, OrderStatus.PENDING, None)


def test_denial_carries_code_and_message() -> None:
    denied = TransitionDenied("forbidden", "nope")
    assert (denied.code, denied.message, str(denied)) == ("forbidden", "nope", "nope")


@pytest.mark.parametrize(
    ("actor", "washer_id", "visible"),
    [
        (CUSTOMER, 20, True),
        (Actor(user_id=11, role=Role.CUSTOMER), 20, False),
        (WASHER, 20, True),
        (OTHER_WASHER, 20, False),
        (WASHER, None, False),
        (ADMIN, None, True),
        (SYSTEM, None, True),
    ],
)
def test_can_view_order(actor: Actor, washer_id: int | None, visible: bool) -> None:
    assert can_view_order(actor, order(OrderStatus.ASSIGNED, washer_id)) is visible


def test_customer_id_equal_to_a_washer_id_does_not_grant_a_washer_view() -> None:
    """Roles are checked, not just ids: washer 10 is not customer 10."""
    assert not can_view_order(Actor(user_id=10, role=Role.WASHER), order(OrderStatus.ASSIGNED))
