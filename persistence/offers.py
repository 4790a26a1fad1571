"""Dispatch offers as rows: one with its order, a washer's, an order's open ones, and the
conditional UPDATEs that expire and decline them.

What a status means and when an offer may be taken are rules of `domain.offers`; the SQL
here is their translation (`expires_at <= now` is `is_expired`, open and unexpired is
`is_acceptable`), named so that each has one home.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.offers import OPEN, OfferStatus
from persistence.models import DispatchOffer, Order, ServicePackage

OfferRow = tuple[DispatchOffer, Order, ServicePackage]


def _with_order() -> Select[DispatchOffer, Order, ServicePackage]:
    return (
        select(DispatchOffer, Order, ServicePackage)
        .join(Order, Order.id == DispatchOffer.order_id)
        .join(ServicePackage, ServicePackage.id == Order.package_id)
    )


async def offer_with_order(session: AsyncSession, offer_id: int) -> OfferRow | None:
    """One offer with its order and the order's package, or None."""
    row = (await session.execute(_with_order().where(DispatchOffer.id == offer_id))).first()
    return None if row is None else (row[0], row[1], row[2])


async def offer_of(session: AsyncSession, order_id: int, washer_id: int) -> DispatchOffer | None:
    """The offer of `order_id` made to `washer_id` (at most one), or None."""
    return await session.scalar(
        select(DispatchOffer).where(
            DispatchOffer.order_id == order_id, DispatchOffer.washer_id == washer_id
        )
    )


async def open_offers_for(session: AsyncSession, order_id: int) -> list[DispatchOffer]:
    """The order's offers still open."""
    rows = await session.scalars(
        select(DispatchOffer).where(
            DispatchOffer.order_id == order_id, DispatchOffer.status == OPEN
        )
    )
    return list(rows)


async def offered_washers_of(
    session: AsyncSession, order_ids: Sequence[int]
) -> dict[int, set[int]]:
    """Every washer each order was ever offered to, whatever became of the offer, in one
    statement; an order never offered to anyone is absent."""
    if not order_ids:
        return {}
    offered: dict[int, set[int]] = {}
    rows = await session.execute(
        select(DispatchOffer.order_id, DispatchOffer.washer_id).where(
            DispatchOffer.order_id.in_(order_ids)
        )
    )
    for order_id, washer_id in rows:
        offered.setdefault(order_id, set()).add(washer_id)
    return offered


async def expire_offers(session: AsyncSession, now: datetime) -> int:
    """Mark open offers past their time as expired (one statement; safe in any process)."""
    result = await session.execute(
        update(DispatchOffer)
        .where(DispatchOffer.status == OPEN, DispatchOffer.expires_at <= now)
        .values(status=OfferStatus.EXPIRED.value)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def decline_if_open(session: AsyncSession, offer_id: int, now: datetime) -> bool:
    """Decline the offer if it is still open and unexpired as this statement runs (an
    accept or expiry committed meanwhile wins); whether it was."""
    result = await session.execute(
        update(DispatchOffer)
        .where(
            DispatchOffer.id == offer_id,
            DispatchOffer.status == OPEN,
            DispatchOffer.expires_at > now,
        )
        .values(status=OfferStatus.DECLINED.value)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def acceptable_offers_of(
    session: AsyncSession, washer_id: int, now: datetime
) -> list[OfferRow]:
    """The washer's open, unexpired offers with their orders and packages, oldest first."""
    rows = await session.execute(
        _with_order()
        .where(
            DispatchOffer.washer_id == washer_id,
            DispatchOffer.status == OPEN,
            DispatchOffer.expires_at > now,
        )
        .order_by(DispatchOffer.id)
    )
    return [(offer, order, package) for offer, order, package in rows.tuples()]
