"""Quotes that hold: a price promised to one customer for one booking until it expires.

A booking that names a quote pays exactly the quoted price, even if the zone's surge moved
since; one that names a quote it may not use is refused with ``quote_expired`` and the
current price, so the app can show it and ask again. Expired, foreign, used, or quoted for
another vehicle, package or zone are answered alike: to the customer they mean the same
thing (this price is gone) and nothing reveals whose a foreign quote is.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

QUOTE_EXPIRED = "quote_expired"


class QuoteFacts(msgspec.Struct, frozen=True):
    customer_id: int
    vehicle_id: int
    package_id: int
    zone: str
    expires_at: datetime
    used: bool


class BookingFacts(msgspec.Struct, frozen=True):
    customer_id: int
    vehicle_id: int
    package_id: int
    zone: str


def quote_problem(quote: QuoteFacts | None, booking: BookingFacts, now: datetime) -> str | None:
    """Why ``quote`` cannot price ``booking`` (``None``: it can). The reason is for logs and
    the message; the code is always ``quote_expired``."""
    if quote is None or quote.customer_id != booking.customer_id:
        return "no such quote for this customer"
    if now >= quote.expires_at:
        return "the quote expired"
    if quote.used:
        return "the quote was already used"
    if (quote.vehicle_id, quote.package_id) != (booking.vehicle_id, booking.package_id):
        return "the quote was for another vehicle or package"
    if quote.zone != booking.zone:
        return "the quote was for another place"
    return None
