"""An audited edit keeps only the fields it changed."""

from __future__ import annotations

from domain.audit import changed_fields


def test_only_changed_fields_are_kept() -> None:
    before = {"name": "Basic", "price": 2000, "active": True}
    after = {"name": "Basic", "price": 2500, "active": True}
    assert changed_fields(before, after) == ({"price": 2000}, {"price": 2500})


def test_no_change_keeps_nothing() -> None:
    state = {"name": "Basic", "price": 2000}
    assert changed_fields(state, dict(state)) == ({}, {})


def test_a_field_that_appears_or_disappears_is_a_change() -> None:
    assert changed_fields({"a": 1}, {"b": 2}) == ({"b": None, "a": 1}, {"b": 2, "a": None})
