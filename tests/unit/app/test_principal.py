"""The caller as its access token says: read from the token alone, and None (not an error)
for any token that does not carry a usable identity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.security.jwt import Token

from app.principal import Principal, principal_from_token, with_second_factor_rule
from app.security import decode_access_token, mint_access_token
from app.settings import Settings
from domain.roles import Actor, Role

EXPIRES = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
SETTINGS = Settings(environment="test")


def _whole_seconds_now() -> datetime:
    """JWT times are whole seconds."""
    return datetime.now(UTC).replace(microsecond=0)


def _token(sub: str = "7", **extras: Any) -> Token:
    return Token(exp=EXPIRES, sub=sub, extras=extras)


def test_a_minted_access_token_reads_back_as_its_principal() -> None:
    encoded, expires_at = mint_access_token(
        7, "washer", "w@example.com", SETTINGS, _whole_seconds_now(), session_id="fam-1"
    )
    principal = principal_from_token(decode_access_token(encoded, SETTINGS))
    assert principal == Principal(
        id=7,
        role=Role.WASHER,
        email="w@example.com",
        expires_at=expires_at.timestamp(),
        session_id="fam-1",
    )
    assert principal.actor == Actor(user_id=7, role=Role.WASHER)


def test_a_second_factor_shows_in_the_amr_claim() -> None:
    encoded, _ = mint_access_token(
        1, "admin", "a@example.com", SETTINGS, datetime.now(UTC), second_factor=True
    )
    principal = principal_from_token(decode_access_token(encoded, SETTINGS))
    assert principal is not None and principal.second_factor
    assert principal_from_token(_token(role="admin", amr=["pwd"])).second_factor is False  # type: ignore[union-attr]


def test_a_token_from_before_sessions_were_named_has_no_session() -> None:
    principal = principal_from_token(_token(role="customer"))
    assert principal is not None
    assert principal.session_id is None
    assert principal.email == ""
    assert principal.expires_at == EXPIRES.timestamp()
    assert principal_from_token(_token(role="customer", sid="")).session_id is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "token",
    [
        _token(),  # no role: e.g. the second step of a login (`app.mfa_tokens`)
        _token(role="superuser"),
        _token(sub="seven", role="customer"),
        _token(sub="1.5", role="customer"),
    ],
)
def test_a_token_without_a_usable_identity_is_no_principal(token: Token) -> None:
    assert principal_from_token(token) is None


def test_an_mfa_token_is_never_taken_for_an_access_token() -> None:
    from app.mfa_tokens import mint_mfa_token

    token = decode_access_token(mint_mfa_token(7, SETTINGS), SETTINGS)
    assert principal_from_token(token) is None


def _principal(role: Role, second_factor: bool = False) -> Principal:
    return Principal(
        id=1, role=role, email="x@example.com", expires_at=0.0, second_factor=second_factor
    )


def test_an_admin_without_a_required_second_factor_is_marked() -> None:
    required = Settings(environment="test", admin_mfa_required="true")
    marked = with_second_factor_rule(_principal(Role.ADMIN), required)
    assert marked.lacks_second_factor
    assert marked.id == 1 and marked.role is Role.ADMIN


@pytest.mark.parametrize(
    ("role", "second_factor", "required"),
    [
        (Role.ADMIN, True, "true"),
        (Role.ADMIN, False, "false"),
        (Role.CUSTOMER, False, "true"),
        (Role.WASHER, False, "true"),
    ],
)
def test_everyone_else_is_left_as_is(role: Role, second_factor: bool, required: str) -> None:
    principal = _principal(role, second_factor)
    settings = Settings(environment="test", admin_mfa_required=required)
    assert with_second_factor_rule(principal, settings) is principal
