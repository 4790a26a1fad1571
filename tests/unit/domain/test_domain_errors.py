"""Refusals: code, message, fields and kind, and the older refusal types as refusals."""

from __future__ import annotations

import pytest

from domain.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Refusal,
    RefusalKind,
    Unavailable,
    not_found,
)
from domain.location import FixRejected
from domain.order_transitions import TransitionDenied
from realtime.protocol import ProtocolError


def test_a_refusal_carries_code_message_and_fields() -> None:
    refusal = Refusal("version_conflict", "reload it", kind=RefusalKind.CONFLICT, version=3)
    assert (refusal.code, refusal.message, str(refusal)) == (
        "version_conflict",
        "reload it",
        "reload it",
    )
    assert refusal.fields == {"version": 3}
    assert refusal.kind is RefusalKind.CONFLICT


def test_fields_default_to_empty() -> None:
    assert Refusal("nope", "no").fields == {}


@pytest.mark.parametrize(
    ("cls", "kind"),
    [
        (NotFound, RefusalKind.NOT_FOUND),
        (Forbidden, RefusalKind.FORBIDDEN),
        (Conflict, RefusalKind.CONFLICT),
        (Invalid, RefusalKind.INVALID),
        (RateLimited, RefusalKind.RATE_LIMITED),
        (Unavailable, RefusalKind.UNAVAILABLE),
    ],
)
def test_each_subclass_has_its_kind(cls: type[Refusal], kind: RefusalKind) -> None:
    refusal = cls("some_code", "some message")
    assert isinstance(refusal, Refusal)
    assert refusal.kind is kind


@pytest.mark.parametrize("kind", list(RefusalKind))
def test_a_generic_code_names_its_kind(kind: RefusalKind) -> None:
    assert Refusal(kind.value, "x").kind is kind


def test_an_unknown_code_on_the_base_is_invalid() -> None:
    assert Refusal("made_up", "x").kind is RefusalKind.INVALID


def test_the_class_kind_beats_the_code() -> None:
    assert Conflict("forbidden", "x").kind is RefusalKind.CONFLICT


def test_an_explicit_kind_beats_the_class() -> None:
    assert Conflict("x", "y", kind=RefusalKind.UNAVAILABLE).kind is RefusalKind.UNAVAILABLE


def test_not_found_is_worded_the_same_everywhere() -> None:
    refusal = not_found("order")
    assert isinstance(refusal, NotFound)
    assert (refusal.code, refusal.message) == ("not_found", "order not found")


def test_repr_names_class_code_and_kind() -> None:
    assert repr(Conflict("taken", "gone")) == "Conflict('taken', 'gone', kind=conflict)"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("not_found", RefusalKind.NOT_FOUND),
        ("forbidden", RefusalKind.FORBIDDEN),
        ("invalid_transition", RefusalKind.CONFLICT),
        ("washer_required", RefusalKind.INVALID),
    ],
)
def test_a_transition_denial_is_a_refusal_of_its_codes_kind(code: str, kind: RefusalKind) -> None:
    denied = TransitionDenied(code, "no")
    assert isinstance(denied, Refusal)
    assert (denied.code, denied.message, denied.kind) == (code, "no", kind)


def test_a_rejected_fix_is_an_invalid_refusal_with_its_reason() -> None:
    rejected = FixRejected("too_old", "fix is too old")
    assert isinstance(rejected, Invalid)
    assert (rejected.code, rejected.reason, rejected.message) == (
        "invalid_fix",
        "too_old",
        "fix is too old",
    )
    assert rejected.fields == {"reason": "too_old"}


def test_a_rejected_fix_without_message_uses_the_reason() -> None:
    assert FixRejected("out_of_order").message == "out_of_order"


def test_a_protocol_error_is_a_refusal_and_keeps_its_ref() -> None:
    error = ProtocolError("forbidden", "not yours", "r1")
    assert isinstance(error, Refusal)
    assert (error.code, error.message, error.ref, error.kind) == (
        "forbidden",
        "not yours",
        "r1",
        RefusalKind.FORBIDDEN,
    )
    assert ProtocolError("bad_frame", "x").kind is RefusalKind.INVALID
