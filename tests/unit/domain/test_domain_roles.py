"""Actor invariants: only the system is anonymous."""

from __future__ import annotations

import msgspec
import pytest

from domain.roles import SYSTEM_ACTOR, Actor, Role


def test_roles_have_wire_values() -> None:
    assert [role.value for role in Role] == ["customer", "washer", "admin", "system"]


def test_system_actor_has_no_user_id() -> None:
    assert Actor(user_id=None, role=Role.SYSTEM) == SYSTEM_ACTOR
    with pytest.raises(ValueError, match="no user id"):
        Actor(user_id=5, role=Role.SYSTEM)


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.WASHER, Role.ADMIN])
def test_users_need_an_id(role: Role) -> None:
    with pytest.raises(ValueError, match="needs a user id"):
        Actor(user_id=None, role=role)


def test_actor_round_trips_through_msgspec() -> None:
    actor = Actor(user_id=3, role=Role.WASHER)
    assert msgspec.json.decode(msgspec.json.encode(actor), type=Actor) == actor


def test_actor_is_frozen() -> None:
    actor = Actor(user_id=3, role=Role.WASHER)
    with pytest.raises(AttributeError):
        actor.user_id = 4  # type: ignore[misc]
