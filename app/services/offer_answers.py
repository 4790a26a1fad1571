"""A washer answers an offer made to them: accept (the order becomes theirs) or decline.

Accepting is the order's `pending -> assigned` transition (`app.services.order_transitions`),
so the state machine, the offer check and the closing of every other offer stay in one place;
this module only finds the washer's own offer and refuses what `domain.offers` refuses.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from app.schemas.offers import OfferOut
from app.services.offers import offer_out
from app.services.order_transitions import transition_order
from domain.errors import Conflict, not_found
from domain.offers import (
    OfferUnavailable,
    check_answerable,
    holds_offer,
)
from domain.orders import OrderStatus
from domain.roles import Actor
from persistence.models import DispatchOffer, Order, ServicePackage
from persistence.offers import decline_if_open, offer_with_order
from persistence.order_reads import OrderRow
from persistence.outbox import wake_after_commit

log = structlog.get_logger("washline.offers")

RACE_LOST = "conflict"
"""The code `transition_order` refuses with when another change to the order won."""


async def own_offer(
    session: AsyncSession, actor: Actor, offer_id: int
) -> tuple[DispatchOffer, Order, ServicePackage]:
    """The actor's own offer with its order; 404 alike for a missing offer and another
    washer's, so offer ids reveal nothing."""
    found = await offer_with_order(session, offer_id)
    if found is None or not holds_offer(actor, found[0].washer_id):
        raise not_found("offer")
    return found


async def accept_offer(
    session: AsyncSession, actor: Actor, offer_id: int, *, reason: str | None = None
) -> OrderRow:
    """Take the offered order: 409 `offer_unavailable` once the offer is over (expired,
    withdrawn, declined or already accepted) or another change to the order wins."""
    offer, order, _package = await own_offer(session, actor, offer_id)
    check_answerable(offer.status, offer.expires_at, datetime.now(UTC))
    try:
        return await transition_order(session, actor, order.id, OrderStatus.ASSIGNED, reason=reason)
    except Conflict as refused:
        # A pending order changes only by leaving `pending`, which closes every offer.
        if refused.code == RACE_LOST:
            raise OfferUnavailable(
                "another change to this order won; it is no longer offered"
            ) from None
        raise


async def decline_offer(
    session: AsyncSession, actor: Actor, offer_id: int, *, reason: str | None = None
) -> OfferOut:
    """Say no: the offer is `declined` and, once the order has no open offer left, dispatch
    offers it to someone else at its next sweep (woken by this commit)."""
    offer, order, package = await own_offer(session, actor, offer_id)
    now = datetime.now(UTC)
    check_answerable(offer.status, offer.expires_at, now)
    # Still open and unexpired at the moment of writing (`domain.offers.is_acceptable` in
    # SQL): an accept or expiry committed meanwhile wins, and this answer is refused.
    if not await decline_if_open(session, offer.id, now):
        await session.rollback()
        raise OfferUnavailable()
    wake_after_commit(session)
    await session.commit()
    log.info(
        "offer declined",
        offer_id=offer.id,
        order_id=order.id,
        washer_id=offer.washer_id,
        reason=reason,
    )
    await session.refresh(offer)
    return offer_out(offer, order, package)
