"""What is sold and who does the work: service packages, customers' vehicles, washer profiles."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.base import IdentityAuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column


class Vehicle(IdentityAuditBase):
    __tablename__ = "vehicle"

    owner_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    make: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(60))
    plate: Mapped[str] = mapped_column(String(16))
    color: Mapped[str | None] = mapped_column(String(30), nullable=True)
    size: Mapped[str] = mapped_column(String(8))


class ServicePackage(IdentityAuditBase):
    __tablename__ = "service_package"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(String(1000), default="")
    base_price_cents: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("base_price_cents >= 0", name="ck_package_price"),)


class WasherProfile(IdentityAuditBase):
    """A washer's working state; the rating aggregate is updated with each review."""

    __tablename__ = "washer_profile"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    is_available: Mapped[bool] = mapped_column(Boolean, default=False)
    rating_average: Mapped[float] = mapped_column(Float, default=0.0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    last_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_fix_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
