"""Offer rules: acceptability, expiry, who needs an offer, and how offers close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.dispatch import OFFER_TTL
from domain.errors import Conflict, RefusalKind
from domain.offers import (
    OFFER_UNAVAILABLE,
    OPEN,
    OfferStatus,
    OfferUnavailable,
    check_answerable,
    closing_status,
    holds_offer,
    is_acceptable,
    is_expired,
    needs_offer,
    offer_expiry,
    shows_order,
)
from domain.orders import OrderStatus
from domain.roles import SYSTEM_ACTOR, Actor, Role

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
WASHER = Actor(user_id=7, role=Role.WASHER)
ADMIN = Actor(user_id=1, role=Role.ADMIN)
CUSTOMER = Actor(user_id=2, role=Role.CUSTOMER)


def test_open_is_the_stored_value_of_an_open_offer() -> None:
    assert OPEN == "open" == OfferStatus.OPEN
    assert [s.value for s in OfferStatus] == [
        "open",
        "accepted",
        "withdrawn",
        "expired",
        "declined",
    ]


def test_an_offer_expires_after_its_ttl() -> None:
    assert offer_expiry(NOW) == NOW + OFFER_TTL


@pytest.mark.parametrize(
    ("expires_in", "expired"),
    [(timedelta(seconds=1), False), (timedelta(0), True), (timedelta(seconds=-1), True)],
)
def test_an_offer_is_over_at_its_expiry_instant(expires_in: timedelta, expired: bool) -> None:
    assert is_expired(NOW + expires_in, NOW) is expired


@pytest.mark.parametrize("status", list(OfferStatus))
def test_only_an_open_unexpired_offer_is_acceptable(status: OfferStatus) -> None:
    later = NOW + timedelta(seconds=30)
    assert is_acceptable(status.value, later, NOW) is (status is OfferStatus.OPEN)
    assert not is_acceptable(status.value, NOW, NOW)


@pytest.mark.parametrize("status", list(OfferStatus))
def test_only_an_open_offer_shows_the_order(status: OfferStatus) -> None:
    assert shows_order(status.value) is (status is OfferStatus.OPEN)


def test_a_washer_taking_a_pending_order_needs_an_offer() -> None:
    assert needs_offer(WASHER, OrderStatus.PENDING, OrderStatus.ASSIGNED)


@pytest.mark.parametrize("actor", [ADMIN, CUSTOMER, SYSTEM_ACTOR])
def test_nobody_else_needs_an_offer(actor: Actor) -> None:
    assert not needs_offer(actor, OrderStatus.PENDING, OrderStatus.ASSIGNED)


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        (OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE),
        (OrderStatus.ASSIGNED, OrderStatus.PENDING),
        (OrderStatus.NO_SHOW, OrderStatus.ASSIGNED),
    ],
)
def test_other_washer_moves_need_no_offer(from_status: OrderStatus, to_status: OrderStatus) -> None:
    assert not needs_offer(WASHER, from_status, to_status)


def test_closing_accepts_the_winners_offer_and_withdraws_the_rest() -> None:
    assert closing_status(7, winner_id=7) is OfferStatus.ACCEPTED
    assert closing_status(8, winner_id=7) is OfferStatus.WITHDRAWN
    assert closing_status(8, winner_id=None) is OfferStatus.WITHDRAWN


def test_an_unavailable_offer_is_a_conflict() -> None:
    refusal = OfferUnavailable()
    assert isinstance(refusal, Conflict)
    assert (refusal.code, refusal.kind) == (OFFER_UNAVAILABLE, RefusalKind.CONFLICT)
    assert refusal.message == "this offer was taken, withdrawn or expired"
    assert OfferUnavailable("gone").message == "gone"


@pytest.mark.parametrize("status", [s for s in OfferStatus if s is not OfferStatus.OPEN])
def test_only_an_open_offer_may_be_answered(status: OfferStatus) -> None:
    with pytest.raises(OfferUnavailable) as refused:
        check_answerable(status.value, NOW + timedelta(seconds=30), NOW)
    assert (refused.value.code, refused.value.kind) == (OFFER_UNAVAILABLE, RefusalKind.CONFLICT)


def test_an_open_offer_may_be_answered_until_its_expiry_instant() -> None:
    check_answerable(OPEN, NOW + timedelta(seconds=1), NOW)
    with pytest.raises(OfferUnavailable):
        check_answerable(OPEN, NOW, NOW)


def test_only_the_offered_washer_holds_an_offer() -> None:
    assert holds_offer(WASHER, 7)
    assert not holds_offer(WASHER, 8)
    assert not holds_offer(Actor(user_id=7, role=Role.CUSTOMER), 7)
    assert not holds_offer(Actor(user_id=7, role=Role.ADMIN), 7)
    assert not holds_offer(SYSTEM_ACTOR, 7)
