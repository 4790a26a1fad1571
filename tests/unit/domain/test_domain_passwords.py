"""The password policy (NIST SP 800-63B): length, common passwords, the account's own email."""

from __future__ import annotations

import pytest

from domain.passwords import MAX_LENGTH, MIN_LENGTH, password_weakness

COMMON = frozenset({"password", "12345678", "iloveyou"})
EMAIL = "Carol.Smith@Example.test"


def weakness(password: str) -> str | None:
    return password_weakness(password, email=EMAIL, common=COMMON)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("1234567", "at least 8"),
        ("p" * (MAX_LENGTH + 1), "at most 128"),
        (" " * 8, "whitespace"),
        ("\t \n    \u00a0  ", "whitespace"),
        ("password", "most commonly used"),
        ("PassWord", "most commonly used"),
        (" iloveyou ", "most commonly used"),
        ("12345678", "most commonly used"),
        ("carol.smith@example.test", "email"),
        ("CAROL.SMITH@EXAMPLE.TEST", "email"),
        ("carol.smith", "email"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(password: str, reason: str) -> None:
    refusal = weakness(password)
    assert refusal is not None and reason in refusal


@pytest.mark.parametrize(
    "password",
    [
        "p" * MIN_LENGTH,
        "p" * MAX_LENGTH,
        "correct horse battery staple",
        "washline-demo",
        "washline-admin",
        "washline-sim",
        "Пароль-для-мойки",
        "carol.smith-2026",
    ],
)
def test_a_long_enough_uncommon_password_is_accepted(password: str) -> None:
    assert weakness(password) is None
