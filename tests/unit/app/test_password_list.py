"""The common-password list shipped in the package, and the policy applied with it."""

from __future__ import annotations

import pytest
from washline_simulator.config import DEFAULT_ADMIN_PASSWORD, SIM_PASSWORD

from app.demo import ADMIN_PASSWORD, DEMO_PASSWORD
from app.passwords import check_new_password, common_passwords
from domain.errors import Refusal, RefusalKind
from domain.passwords import MIN_LENGTH


def test_the_list_holds_thousands_of_lowercase_passwords_policy_length_allows() -> None:
    words = common_passwords()
    assert len(words) >= 2000
    assert {"password", "12345678", "iloveyou", "qwertyuiop"} <= words
    assert all(word == word.lower() and len(word) >= MIN_LENGTH for word in words)


@pytest.mark.parametrize("password", ["password", "Password", "12345678", "qwertyuiop"])
def test_a_listed_password_is_refused_as_weak(password: str) -> None:
    with pytest.raises(Refusal) as refused:
        check_new_password(password, "someone@example.test")
    assert refused.value.kind is RefusalKind.INVALID
    assert refused.value.code == "weak_password"
    assert "commonly used" in refused.value.message


@pytest.mark.parametrize(
    "password", [DEMO_PASSWORD, ADMIN_PASSWORD, DEFAULT_ADMIN_PASSWORD, SIM_PASSWORD]
)
def test_the_demo_and_simulator_passwords_pass(password: str) -> None:
    check_new_password(password, "demo@washline.test")
