"""Live connections of one token share one principal: equal principals are one instance
while any holder lives, and different ones stay apart."""

from __future__ import annotations

import gc
import weakref

from app.principal import Principal, shared
from domain.roles import Role


def _principal(user_id: int = 7, session_id: str | None = "s1") -> Principal:
    return Principal(user_id, Role.CUSTOMER, "a@example.test", 1e9, session_id=session_id)


def test_equal_principals_are_one_instance() -> None:
    first = shared(_principal())
    again = shared(_principal())
    assert again is first
    assert shared(_principal(user_id=8)) is not first
    assert shared(_principal(session_id="s2")) is not first


def test_nothing_is_kept_once_no_connection_holds_it() -> None:
    kept = shared(_principal(user_id=99))
    watch = weakref.ref(kept)
    del kept
    gc.collect()
    assert watch() is None
    fresh = _principal(user_id=99)
    assert shared(fresh) is fresh
