"""Surge pricing: each zone's current multiplier and the quotes customers hold."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.base import IdentityBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.limits import QUOTE_TOKEN_MAX, ZONE_MAX


class PriceQuote(IdentityBase):
    """A price promised to one customer for one vehicle, package and zone until `expires_at`
    (`domain.quotes`); `order_id` is set by the booking that used it. Clients name it by its
    unguessable `token`, never by the row id."""

    __tablename__ = "price_quote"

    token: Mapped[str] = mapped_column(String(QUOTE_TOKEN_MAX), unique=True)
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    vehicle_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("vehicle.id", ondelete="CASCADE")
    )
    package_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("service_package.id", ondelete="CASCADE")
    )
    zone: Mapped[str] = mapped_column(String(ZONE_MAX))
    base_price_cents: Mapped[int] = mapped_column(Integer)
    multiplier_pct: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    order_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("wash_order.id", ondelete="SET NULL"), nullable=True
    )


class SurgeZone(IdentityBase):
    """A demand zone's last computed load and multiplier, and an admin's cap or pin.

    Written by the one process that computes surge (`app.workers.surge`), read by every
    process that quotes or books, so every pod prices with the same numbers."""

    __tablename__ = "surge_zone"

    zone: Mapped[str] = mapped_column(String(ZONE_MAX), unique=True)
    multiplier_pct: Mapped[int] = mapped_column(Integer, default=100)
    since: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    demand: Mapped[int] = mapped_column(Integer, default=0)
    supply: Mapped[int] = mapped_column(Integer, default=0)
    cap_pct: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pin_pct: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
