"""Tombstones of an erased account: unique, under a reserved domain, unusable to log in,
and coarse enough that an erased order's place no longer points at a home."""

from __future__ import annotations

import msgspec
import pytest

from app.security import verify_password
from domain.erasure import (
    COORDINATE_DECIMALS,
    ERASED_NAME,
    ERASED_PLATE,
    ERASED_TEXT,
    UNUSABLE_PASSWORD_HASH,
    erased_email,
)
from domain.geo import LatLng, haversine_m


def test_erased_emails_are_unique_per_account() -> None:
    emails = {erased_email(user_id) for user_id in range(1, 1001)}
    assert len(emails) == 1000


def test_erased_emails_are_under_a_domain_that_can_never_receive_mail() -> None:
    local, _, domain = erased_email(42).partition("@")
    assert domain.endswith(".invalid")  # RFC 2606: reserved, never resolvable
    assert "42" in local


def test_an_erased_email_is_still_a_valid_address_for_the_column() -> None:
    email = erased_email(2**31 - 1)
    assert email == email.strip().lower()
    assert email.count("@") == 1


@pytest.mark.parametrize("password", ["", "!erased", UNUSABLE_PASSWORD_HASH, "hunter2"])
async def test_no_password_matches_the_unusable_hash(password: str) -> None:
    assert await verify_password(UNUSABLE_PASSWORD_HASH, password) is False


def test_the_tombstones_name_no_one() -> None:
    for tombstone in (ERASED_NAME, ERASED_TEXT, ERASED_PLATE):
        assert tombstone
        assert "@" not in tombstone


def test_rounded_coordinates_move_a_place_by_no_more_than_about_a_kilometre() -> None:
    lat, lng = 52.5186234, 13.4081537
    rounded = LatLng(round(lat, COORDINATE_DECIMALS), round(lng, COORDINATE_DECIMALS))
    moved = haversine_m(LatLng(lat, lng), rounded)
    assert 0 < moved < 1000


def test_erased_values_fit_the_text_rule_of_every_schema() -> None:
    from domain.text import Text

    for value in (ERASED_NAME, ERASED_TEXT, ERASED_PLATE, erased_email(1)):
        assert msgspec.convert(value, Text) == value
