"""Who is acting: the role decides which rules in ``domain`` apply to a request."""

from __future__ import annotations

from enum import StrEnum

import msgspec


class Role(StrEnum):
    CUSTOMER = "customer"
    WASHER = "washer"
    ADMIN = "admin"
    SYSTEM = "system"


class Actor(msgspec.Struct, frozen=True):
    """The caller of a rule.

    ``SYSTEM`` is the platform itself (geofence, relay, simulator) and has no user id; every
    other role is a real user and must carry one. The invariant is checked on construction so
    a rule can never mistake an anonymous actor for the owner of a record whose owner is unset.
    """

    user_id: int | None
    role: Role

    def __post_init__(self) -> None:
        if self.role == Role.SYSTEM and self.user_id is not None:
            raise ValueError("the system actor has no user id")
        if self.role != Role.SYSTEM and self.user_id is None:
            raise ValueError(f"a {self.role} actor needs a user id")


SYSTEM_ACTOR = Actor(user_id=None, role=Role.SYSTEM)
"""The one system actor; use it rather than building new ones."""
