"""Dispatch offers as stored facts: who was offered an order, and what became of it.

The first accept wins through the order's optimistic concurrency; the winner's transaction
withdraws every other open offer and tells those washers, so the losers get an
`offer_unavailable` refusal and a `dispatch.offer_withdrawn` notification. What a status
means and when an offer may be taken are rules of `domain.offers`; this module stores them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.schemas.offers import OfferOut
from domain.errors import not_found
from domain.event_data import OfferEventData, as_data
from domain.events import DISPATCH_OFFER, DISPATCH_OFFER_WITHDRAWN
from domain.offers import (
    OPEN,
    OfferStatus,
    OfferUnavailable,
    closing_status,
    is_acceptable,
    offer_expiry,
)
from persistence import offers as stored
from persistence.models import DispatchOffer, Order, ServicePackage
from persistence.notifications import Notice, notify_all
from persistence.order_reads import OrderRow


def offer_payload(offer: DispatchOffer, order: Order | OrderRow) -> dict[str, Any]:
    return as_data(
        OfferEventData(
            offer_id=offer.id,
            order_id=order.id,
            status=offer.status,
            distance_m=round(offer.distance_m, 1),
            expires_at=offer.expires_at.isoformat(),
            address=order.address,
            lat=order.lat,
            lng=order.lng,
            price_cents=order.price_cents,
        )
    )


def offer_out(offer: DispatchOffer, order: Order, package: ServicePackage) -> OfferOut:
    """The offer as its washer sees it: the `dispatch.offer` data and more (`OfferOut`)."""
    return OfferOut(
        offer_id=offer.id,
        order_id=order.id,
        status=OfferStatus(offer.status),
        offered_at=offer.created_at,
        expires_at=offer.expires_at,
        distance_m=round(offer.distance_m, 1),
        address=order.address,
        lat=order.lat,
        lng=order.lng,
        package_id=package.id,
        package_name=package.name,
        duration_minutes=package.duration_minutes,
        price_cents=order.price_cents,
    )


async def require_open_offer(
    session: AsyncSession, order: Order | OrderRow, washer_id: int, now: datetime
) -> DispatchOffer:
    """A washer may accept only an order offered to it (else not found: it cannot even see
    it), and only while the offer is acceptable."""
    offer = await stored.offer_of(session, order.id, washer_id)
    if offer is None:
        raise not_found("order")
    if not is_acceptable(offer.status, offer.expires_at, now):
        raise OfferUnavailable()
    return offer


async def create_offers(
    session: AsyncSession,
    order: Order | OrderRow,
    targets: list[tuple[int, float]],
    now: datetime,
) -> list[DispatchOffer]:
    """Offer `order` to each (washer id, distance) and notify them; the caller commits.
    Three statements however many washers: the offers (one INSERT, their ids by RETURNING),
    the notifications, their outbox rows."""
    expires_at = offer_expiry(now)
    offers = [
        DispatchOffer(
            order_id=order.id,
            washer_id=washer_id,
            status=OPEN,
            distance_m=distance_m,
            created_at=now,
            expires_at=expires_at,
        )
        for washer_id, distance_m in targets
    ]
    session.add_all(offers)
    await session.flush()
    await notify_all(
        session,
        [Notice(o.washer_id, DISPATCH_OFFER, offer_payload(o, order)) for o in offers],
        now,
    )
    return offers


async def close_offers(
    session: AsyncSession, order: Order | OrderRow, now: datetime, *, winner_id: int | None
) -> list[Notice]:
    """The order left `pending`: the winner's offer is accepted, every other open one is
    withdrawn. Answers the notices that tell each washer who lost an offer, for the caller
    to store with the move's own (`persistence.order_events.insert_order_event`)."""
    withdrawn = []
    for offer in await stored.open_offers_for(session, order.id):
        offer.status = closing_status(offer.washer_id, winner_id).value
        if offer.status == OfferStatus.WITHDRAWN:
            withdrawn.append(
                Notice(offer.washer_id, DISPATCH_OFFER_WITHDRAWN, offer_payload(offer, order))
            )
    return withdrawn


async def expire_offers(session: AsyncSession, now: datetime) -> int:
    """Mark open offers past their time as expired (one statement; safe in any process).

    `expires_at <= now` is `domain.offers.is_expired` in SQL."""
    return await stored.expire_offers(session, now)


async def open_offers_of(session: AsyncSession, washer_id: int, now: datetime) -> list[OfferOut]:
    """The washer's acceptable offers (`domain.offers.is_acceptable` in SQL)."""
    rows = await stored.acceptable_offers_of(session, washer_id, now)
    return [offer_out(offer, order, package) for offer, order, package in rows]
