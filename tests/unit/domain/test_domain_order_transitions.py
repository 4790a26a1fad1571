"""The order state machine: the full transition table (every status x every actor x every
target), then the rules the table cannot show (preconditions, assign_to, the denial itself).

The expected outcomes are written out by hand below, one grid per actor, so a change to the
rules has to change this table too. Cells:

    keep  allowed; the order keeps its washer        take  allowed; the actor becomes the washer
    drop  allowed; the washer is cleared             404   not_found
    frb   forbidden                                  inv   invalid_transition
    wreq  washer_required
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.order_transitions import (
    Transition,
    TransitionDenied,
    allowed_targets,
    decide_transition,
)
from domain.orders import NO_SHOW_WAIT, OrderFacts, OrderStatus
from domain.roles import Actor, Role

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CUSTOMER_ID = 10
WASHER_ID = 20

ACTORS = {
    "customer_owner": Actor(user_id=CUSTOMER_ID, role=Role.CUSTOMER),
    "other_customer": Actor(user_id=11, role=Role.CUSTOMER),
    "washer_owner": Actor(user_id=WASHER_ID, role=Role.WASHER),
    "other_washer": Actor(user_id=21, role=Role.WASHER),
    "admin": Actor(user_id=1, role=Role.ADMIN),
    "system": Actor(user_id=None, role=Role.SYSTEM),
}

# Columns: pending  assigned  en_route  arrived  in_progress  completed  cancelled  no_show
TABLES = {
    "customer_owner": """
        pending      inv   frb   frb   frb   frb   frb   keep  frb
        assigned     frb   inv   frb   frb   frb   frb   keep  frb
        en_route     frb   frb   inv   frb   frb   frb   keep  frb
        arrived      frb   frb   frb   inv   frb   frb   keep  frb
        in_progress  frb   frb   frb   frb   inv   frb   frb   frb
        completed    inv   inv   inv   inv   inv   inv   inv   inv
        cancelled    inv   inv   inv   inv   inv   inv   inv   inv
        no_show      inv   inv   inv   inv   inv   inv   inv   inv
    """,
    "other_customer": """
        pending      404   404   404   404   404   404   404   404
        assigned     404   404   404   404   404   404   404   404
        en_route     404   404   404   404   404   404   404   404
        arrived      404   404   404   404   404   404   404   404
        in_progress  404   404   404   404   404   404   404   404
        completed    404   404   404   404   404   404   404   404
        cancelled    404   404   404   404   404   404   404   404
        no_show      404   404   404   404   404   404   404   404
    """,
    "washer_owner": """
        pending      inv   take  404   404   404   404   404   404
        assigned     drop  inv   keep  frb   frb   frb   frb   frb
        en_route     frb   frb   inv   keep  frb   frb   frb   frb
        arrived      frb   frb   frb   inv   keep  frb   frb   keep
        in_progress  frb   frb   frb   frb   inv   keep  frb   frb
        completed    inv   inv   inv   inv   inv   inv   inv   inv
        cancelled    inv   inv   inv   inv   inv   inv   inv   inv
        no_show      inv   inv   inv   inv   inv   inv   inv   inv
    """,
    "other_washer": """
        pending      inv   take  404   404   404   404   404   404
        assigned     404   404   404   404   404   404   404   404
        en_route     404   404   404   404   404   404   404   404
        arrived      404   404   404   404   404   404   404   404
        in_progress  404   404   404   404   404   404   404   404
        completed    404   404   404   404   404   404   404   404
        cancelled    404   404   404   404   404   404   404   404
        no_show      404   404   404   404   404   404   404   404
    """,
    "admin": """
        pending      inv   wreq  wreq  wreq  wreq  inv   keep  inv
        assigned     drop  inv   keep  keep  keep  keep  keep  keep
        en_route     drop  keep  inv   keep  keep  keep  keep  keep
        arrived      drop  keep  keep  inv   keep  keep  keep  keep
        in_progress  drop  keep  keep  keep  inv   keep  keep  keep
        completed    inv   inv   inv   inv   inv   inv   inv   inv
        cancelled    inv   inv   inv   inv   inv   inv   inv   inv
        no_show      inv   inv   inv   inv   inv   inv   inv   inv
    """,
    "system": """
        pending      inv   frb   frb   frb   frb   frb   frb   frb
        assigned     frb   inv   frb   frb   frb   frb   frb   frb
        en_route     frb   frb   inv   keep  frb   frb   frb   frb
        arrived      frb   frb   frb   inv   frb   frb   frb   frb
        in_progress  frb   frb   frb   frb   inv   frb   frb   frb
        completed    inv   inv   inv   inv   inv   inv   inv   inv
        cancelled    inv   inv   inv   inv   inv   inv   inv   inv
        no_show      inv   inv   inv   inv   inv   inv   inv   inv
    """,
}

COLUMNS = [
    OrderStatus.PENDING,
    OrderStatus.ASSIGNED,
    OrderStatus.EN_ROUTE,
    OrderStatus.ARRIVED,
    OrderStatus.IN_PROGRESS,
    OrderStatus.COMPLETED,
    OrderStatus.CANCELLED,
    OrderStatus.NO_SHOW,
]
DENIAL_CODES = {
    "404": "not_found",
    "frb": "forbidden",
    "inv": "invalid_transition",
    "wreq": "washer_required",
}
ALLOWED_CELLS = {"keep", "take", "drop"}


def read_table(text: str) -> dict[OrderStatus, dict[OrderStatus, str]]:
    """Turn one grid into {from_status: {target: cell}}; only splits text, no rules."""
    rows: dict[OrderStatus, dict[OrderStatus, str]] = {}
    for line in text.strip().splitlines():
        status, *cells = line.split()
        assert len(cells) == len(COLUMNS), line
        rows[OrderStatus(status)] = dict(zip(COLUMNS, cells, strict=True))
    assert set(rows) == set(OrderStatus)
    return rows


def order_in(status: OrderStatus) -> OrderFacts:
    """A typical order in ``status``: customer 10, washer 20 once assigned, arrived long enough
    ago for a no-show to be allowed."""
    washer_id = None if status == OrderStatus.PENDING else WASHER_ID
    return OrderFacts(
        order_id=42,
        status=status,
        customer_id=CUSTOMER_ID,
        washer_id=washer_id,
        arrived_at=NOW - timedelta(minutes=20),
    )


CASES = [
    pytest.param(actor_name, current, target, cell, id=f"{actor_name}-{current}-{target}")
    for actor_name, text in TABLES.items()
    for current, row in read_table(text).items()
    for target, cell in row.items()
]


def test_table_covers_every_actor_status_and_target() -> None:
    assert len(CASES) == len(ACTORS) * len(OrderStatus) ** 2


@pytest.mark.parametrize(("actor_name", "current", "target", "cell"), CASES)
def test_decide_transition_matches_table(
    actor_name: str, current: OrderStatus, target: OrderStatus, cell: str
) -> None:
    actor = ACTORS[actor_name]
    order = order_in(current)
    if cell in ALLOWED_CELLS:
        transition = decide_transition(order, actor, target, now=NOW)
        expected_washer = {"keep": order.washer_id, "take": actor.user_id, "drop": None}[cell]
        assert transition.from_status == current
        assert transition.to_status == target
        assert transition.washer_id == expected_washer
    else:
        with pytest.raises(TransitionDenied) as denied:
            decide_transition(order, actor, target, now=NOW)
        assert denied.value.code == DENIAL_CODES[cell]
        assert denied.value.message


@pytest.mark.parametrize("actor_name", list(TABLES))
@pytest.mark.parametrize("current", list(OrderStatus))
def test_allowed_targets_agree_with_table(actor_name: str, current: OrderStatus) -> None:
    row = read_table(TABLES[actor_name])[current]
    # washer_required counts as allowed: the admin UI offers it and asks for a washer.
    expected = {target for target, cell in row.items() if cell in ALLOWED_CELLS | {"wreq"}}
    assert allowed_targets(order_in(current), ACTORS[actor_name], now=NOW) == expected


# Rules the big table cannot show: preconditions, assign_to, the denial itself.

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
