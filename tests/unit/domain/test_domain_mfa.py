"""TOTP codes: one step of drift either side, each step's code once; recovery codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from domain.mfa import (
    hash_recovery_code,
    is_recovery_code_shaped,
    lacks_required_second_factor,
    matching_step,
)
from domain.roles import Role

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 12, 3, 12, 0, 10, tzinfo=UTC)
STEP = int(NOW.timestamp()) // 30


def code(offset_steps: int) -> str:
    return pyotp.TOTP(SECRET).at(NOW + timedelta(seconds=30 * offset_steps))


def test_the_current_code_matches_its_step() -> None:
    assert matching_step(SECRET, code(0), NOW, None) == STEP


def test_one_step_of_drift_either_side_is_accepted_and_two_are_not() -> None:
    assert matching_step(SECRET, code(-1), NOW, None) == STEP - 1
    assert matching_step(SECRET, code(1), NOW, None) == STEP + 1
    assert matching_step(SECRET, code(-2), NOW, None) is None
    assert matching_step(SECRET, code(2), NOW, None) is None


def test_a_step_already_used_is_refused_and_later_ones_are_not() -> None:
    assert matching_step(SECRET, code(0), NOW, STEP) is None
    assert matching_step(SECRET, code(-1), NOW, STEP) is None
    assert matching_step(SECRET, code(1), NOW, STEP) == STEP + 1


def test_malformed_codes_never_match() -> None:
    for bad in ("", "12345", "1234567", "abcdef", code(0) + " "):
        assert matching_step(SECRET, bad, NOW, None) is None


def test_recovery_codes_are_hashed_alike_however_typed() -> None:
    assert hash_recovery_code("ab12c-3de45") == hash_recovery_code(" AB12C3DE45 ")
    assert hash_recovery_code("ab12c-3de45") != hash_recovery_code("ab12c-3de46")
    assert is_recovery_code_shaped("ab12c-3de45") and is_recovery_code_shaped("AB12C3DE45")
    assert not is_recovery_code_shaped("123456")


def test_only_admins_are_held_to_a_required_second_factor() -> None:
    assert lacks_required_second_factor(Role.ADMIN, False, required_for_admins=True)
    assert not lacks_required_second_factor(Role.ADMIN, True, required_for_admins=True)
    assert not lacks_required_second_factor(Role.ADMIN, False, required_for_admins=False)
    for role in (Role.CUSTOMER, Role.WASHER):
        assert not lacks_required_second_factor(role, False, required_for_admins=True)
