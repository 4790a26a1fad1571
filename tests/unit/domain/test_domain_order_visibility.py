"""Who sees which orders, and whose track: one definition for predicates and queries."""

from __future__ import annotations

import pytest

from domain.order_visibility import (
    STAFF_ROLES,
    OrderVisibility,
    can_view_order,
    may_see_track,
    order_visibility,
)
from domain.orders import TRACKABLE_STATUSES, OrderFacts, OrderStatus
from domain.roles import SYSTEM_ACTOR, Actor, Role

CUSTOMER = Actor(user_id=10, role=Role.CUSTOMER)
OTHER_CUSTOMER = Actor(user_id=11, role=Role.CUSTOMER)
WASHER = Actor(user_id=20, role=Role.WASHER)
OTHER_WASHER = Actor(user_id=21, role=Role.WASHER)
ADMIN = Actor(user_id=1, role=Role.ADMIN)


def order(status: OrderStatus, washer_id: int | None = 20) -> OrderFacts:
    return OrderFacts(order_id=7, status=status, customer_id=10, washer_id=washer_id)


def test_staff_are_admins_and_the_system() -> None:
    assert frozenset({Role.ADMIN, Role.SYSTEM}) == STAFF_ROLES


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (ADMIN, OrderVisibility(sees_all=True)),
        (SYSTEM_ACTOR, OrderVisibility(sees_all=True)),
        (CUSTOMER, OrderVisibility(sees_all=False, owner_field="customer_id", user_id=10)),
        (WASHER, OrderVisibility(sees_all=False, owner_field="washer_id", user_id=20)),
    ],
)
def test_order_visibility_by_role(actor: Actor, expected: OrderVisibility) -> None:
    assert order_visibility(actor) == expected


@pytest.mark.parametrize(
    "actor", [CUSTOMER, OTHER_CUSTOMER, WASHER, OTHER_WASHER, ADMIN, SYSTEM_ACTOR]
)
@pytest.mark.parametrize("washer_id", [20, 21, None])
def test_can_view_order_is_the_visibility_applied_to_one_order(
    actor: Actor, washer_id: int | None
) -> None:
    """The query filter reads `owner_field == user_id`; the predicate must say the same."""
    facts = order(OrderStatus.ASSIGNED, washer_id)
    seen = order_visibility(actor)
    expected = seen.sees_all or (
        seen.owner_field is not None and getattr(facts, seen.owner_field) == seen.user_id
    )
    assert can_view_order(actor, facts) is expected


@pytest.mark.parametrize("status", list(OrderStatus))
def test_the_live_track_follows_the_trackable_statuses_for_participants(
    status: OrderStatus,
) -> None:
    facts = order(status)
    on_the_way = status in TRACKABLE_STATUSES
    assert may_see_track(CUSTOMER, facts) is on_the_way
    assert may_see_track(WASHER, facts) is on_the_way
    assert may_see_track(ADMIN, facts)
    assert may_see_track(SYSTEM_ACTOR, facts)
    assert not may_see_track(OTHER_CUSTOMER, facts)
    assert not may_see_track(OTHER_WASHER, facts)


@pytest.mark.parametrize("status", list(OrderStatus))
def test_the_recorded_track_is_always_the_washers_own(status: OrderStatus) -> None:
    facts = order(status)
    assert may_see_track(WASHER, facts, recorded=True)
    assert not may_see_track(OTHER_WASHER, facts, recorded=True)
    assert may_see_track(CUSTOMER, facts, recorded=True) is (status in TRACKABLE_STATUSES)
    assert may_see_track(ADMIN, facts, recorded=True)


@pytest.mark.parametrize(
    ("actor", "washer_id", "visible"),
    [
        (CUSTOMER, 20, True),
        (Actor(user_id=11, role=Role.CUSTOMER), 20, False),
        (WASHER, 20, True),
        (OTHER_WASHER, 20, False),
        (WASHER, None, False),
        (ADMIN, None, True),
        (SYSTEM_ACTOR, None, True),
    ],
)
def test_can_view_order(actor: Actor, washer_id: int | None, visible: bool) -> None:
    assert can_view_order(actor, order(OrderStatus.ASSIGNED, washer_id)) is visible


def test_customer_id_equal_to_a_washer_id_does_not_grant_a_washer_view() -> None:
    """Roles are checked, not just ids: washer 10 is not customer 10."""
    assert not can_view_order(Actor(user_id=10, role=Role.WASHER), order(OrderStatus.ASSIGNED))
