"""Dispatch offers as rules: what an offer's status means, and when a washer may take it.

An offer is ``open`` until it is accepted, declined (its washer said no), withdrawn
(another washer won the order, or it left ``pending`` otherwise) or expired (its time ran
out). Only its own washer may answer it (accept or decline), and only while it is open and
before its expiry. Services store offers and ask these rules; they do not compare
status strings or times of their own. SQL filters use the same constants (``OPEN`` and
``expires_at <= now`` for "expired") and say so where they do.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from domain.dispatch import OFFER_TTL
from domain.errors import Conflict
from domain.orders import OrderStatus
from domain.roles import Actor, Role


class OfferStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    DECLINED = "declined"


OPEN = OfferStatus.OPEN.value
"""The stored value of an open offer, for queries."""

OFFER_UNAVAILABLE = "offer_unavailable"


class OfferUnavailable(Conflict):
    """The washer held an offer for the order, but it can no longer be taken."""

    def __init__(self, message: str = "this offer was taken, withdrawn or expired") -> None:
        super().__init__(OFFER_UNAVAILABLE, message)


def offer_expiry(now: datetime) -> datetime:
    """When an offer made ``now`` stops being acceptable."""
    return now + OFFER_TTL


def is_expired(expires_at: datetime, now: datetime) -> bool:
    """An offer is over at its expiry instant itself, not a moment after."""
    return expires_at <= now


def is_acceptable(status: str, expires_at: datetime, now: datetime) -> bool:
    """Whether the washer holding this offer may accept the order now."""
    return status == OfferStatus.OPEN and not is_expired(expires_at, now)


def holds_offer(actor: Actor, washer_id: int) -> bool:
    """Whether the actor is the washer an offer was made to: nobody else may answer it, nor
    learn that it exists."""
    return actor.role is Role.WASHER and actor.user_id == washer_id


def check_answerable(status: str, expires_at: datetime, now: datetime) -> None:
    """Refuse with :class:`OfferUnavailable` unless the offer may be answered (accepted or
    declined) now: open and not past its expiry."""
    if not is_acceptable(status, expires_at, now):
        raise OfferUnavailable()


def shows_order(status: str) -> bool:
    """Whether the offer lets its washer see the order's details.

    Only an open offer does; it may already be past its time in the moments before the
    dispatcher marks it expired, which is harmless: accepting checks :func:`is_acceptable`.
    """
    return status == OfferStatus.OPEN


def needs_offer(actor: Actor, from_status: OrderStatus, to_status: OrderStatus) -> bool:
    """A washer taking a pending order must hold an acceptable offer for it; admins assign
    directly, and nobody else takes orders."""
    return (
        actor.role is Role.WASHER
        and from_status is OrderStatus.PENDING
        and to_status is OrderStatus.ASSIGNED
    )


def closing_status(washer_id: int, winner_id: int | None) -> OfferStatus:
    """What an open offer becomes when its order leaves ``pending``: the winner's is
    accepted, everyone else's withdrawn (also when an admin assigned someone unoffered)."""
    return OfferStatus.ACCEPTED if washer_id == winner_id else OfferStatus.WITHDRAWN
