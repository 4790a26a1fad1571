"""The second step of a login: a token of its own type, short-lived, naming only the user;
anything else is 401 `invalid_mfa_token`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from app.mfa_tokens import TOKEN_TYPE, mfa_required, mint_mfa_token, read_mfa_token
from app.security import ALGORITHM, mint_access_token
from app.settings import Settings
from domain.errors import Unauthenticated
from domain.mfa import MFA_TOKEN_TTL

SETTINGS = Settings(environment="test")


def _signed(claims: dict[str, Any], secret: str = SETTINGS.jwt_secret) -> str:
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _refused(token: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as caught:
        read_mfa_token(token, SETTINGS)
    return caught.value


def test_a_minted_token_names_its_user() -> None:
    assert read_mfa_token(mint_mfa_token(42, SETTINGS), SETTINGS) == 42


def test_the_token_carries_no_role_and_lives_for_the_second_step_only() -> None:
    claims = jwt.decode(mint_mfa_token(42, SETTINGS), SETTINGS.jwt_secret, [ALGORITHM])
    assert claims["typ"] == TOKEN_TYPE
    assert "role" not in claims
    assert claims["exp"] - claims["iat"] == MFA_TOKEN_TTL.total_seconds()


def test_an_expired_token_is_refused() -> None:
    past = datetime.now(UTC) - MFA_TOKEN_TTL - timedelta(seconds=5)
    token = _signed({"sub": "42", "typ": TOKEN_TYPE, "iat": past, "exp": past + MFA_TOKEN_TTL})
    assert _refused(token).code == "invalid_mfa_token"


def test_an_access_token_is_not_a_second_step() -> None:
    access, _ = mint_access_token(42, "admin", "a@example.com", SETTINGS, datetime.now(UTC))
    assert _refused(access).code == "invalid_mfa_token"


def test_a_token_signed_with_another_secret_is_refused() -> None:
    exp = datetime.now(UTC) + MFA_TOKEN_TTL
    forged = _signed({"sub": "42", "typ": TOKEN_TYPE, "exp": exp}, secret="x" * 48)
    assert _refused(forged).code == "invalid_mfa_token"


@pytest.mark.parametrize(
    "claims",
    [{"typ": TOKEN_TYPE}, {"sub": "forty-two", "typ": TOKEN_TYPE}, {"sub": "42", "typ": "x"}],
)
def test_a_well_signed_token_without_a_user_of_this_type_is_refused(
    claims: dict[str, Any],
) -> None:
    claims["exp"] = datetime.now(UTC) + MFA_TOKEN_TTL
    assert _refused(_signed(claims)).code == "invalid_mfa_token"


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c"])
def test_garbage_is_refused(garbage: str) -> None:
    assert _refused(garbage).code == "invalid_mfa_token"


def test_mfa_required_carries_a_token_for_the_same_user() -> None:
    answer = mfa_required(42, SETTINGS)
    assert answer.code == "mfa_required"
    token = answer.fields["mfa_token"]
    assert read_mfa_token(token, SETTINGS) == 42
