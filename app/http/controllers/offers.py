"""Dispatch offers as a resource: the offered washer accepts or declines one by its id."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from app.http.answers import OFFER_OVER, WASHER_TAKEN
from app.http.auth import washer_only
from app.http.controllers.params import id_path
from app.principal import Principal
from app.schemas.offers import OfferAnswerIn, OfferOut
from app.schemas.orders import OrderOut
from app.services import offer_answers, order_views
from domain.dispatch import OFFER_TTL

OfferId = id_path("offer id")

_TTL = f"{OFFER_TTL.total_seconds():g} s"


class OfferController(Controller):
    path = "/api/offers"
    tags = ["offers"]
    guards = [washer_only]

    @post(
        "/{offer_id:int}/accept",
        status_code=HTTP_200_OK,
        summary="Accept an offer made to you: the order is assigned to you",
        description=f"Open offers may be answered until `expires_at` ({_TTL} after they are "
        "made); the first washer to accept wins the order and every other offer is withdrawn "
        "(`dispatch.offer_withdrawn`). Answers the assigned order. A washer works one order "
        "at a time: while the caller holds another active order, 409 `washer_busy`.",
        refuses=(OFFER_OVER, WASHER_TAKEN),
    )
    async def accept(
        self,
        request: Request[Principal, Any, Any],
        db_session: AsyncSession,
        data: OfferAnswerIn | None = None,
        offer_id: int = OfferId,
    ) -> OrderOut:
        reason = data.reason if data else None
        order = await offer_answers.accept_offer(
            db_session, request.user.actor, offer_id, reason=reason
        )
        return order_views.order_out(order)

    @post(
        "/{offer_id:int}/decline",
        status_code=HTTP_200_OK,
        summary="Decline an offer made to you: dispatch moves on to another washer",
        description="The offer becomes `declined` and is never made to you again; once the "
        "order has no open offer left, dispatch offers it to the next washer at once. "
        "Answers the declined offer.",
        refuses=(OFFER_OVER,),
    )
    async def decline(
        self,
        request: Request[Principal, Any, Any],
        db_session: AsyncSession,
        data: OfferAnswerIn | None = None,
        offer_id: int = OfferId,
    ) -> OfferOut:
        reason = data.reason if data else None
        return await offer_answers.decline_offer(
            db_session, request.user.actor, offer_id, reason=reason
        )
