"""Orders: book, list (scoped by role), detail with history, transitions, reviews."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from app.http.answers import (
    OUTSIDE_AREA,
    QUOTE_EXPIRED,
    REVIEW,
    SCHEDULE,
    TOO_MANY_OPEN,
    TRACK_HIDDEN,
    TRANSITION,
    UNKNOWN_PACKAGE,
)
from app.http.auth import customer_only, requires_login
from app.http.controllers.params import IdFilter, Limit, Offset, id_path
from app.http.errors import ApiError
from app.http.idempotency import IDEMPOTENT
from app.principal import Principal
from app.schemas.common import Page
from app.schemas.orders import (
    OrderDetailOut,
    OrderIn,
    OrderOut,
    ReviewIn,
    ReviewOut,
    TrackPointOut,
    TransitionIn,
)
from app.services import order_transitions, order_views, orders, reviews
from app.services.order_track import order_track
from app.settings import Settings
from domain.orders import OrderStatus
from domain.roles import Role
from domain.schedule import ScheduleRefused, check_schedule

OrderId = id_path("order id")


def check_booking_time(scheduled_for: datetime | None) -> None:
    """Refuse a `scheduled_for` outside the booking window (`domain.schedule`) with 400.

    Checked at the edge, where the request is read, so nothing past it sees a naive or
    absurd time; the refusal's code names what was wrong.
    """
    if scheduled_for is None:
        return
    try:
        check_schedule(scheduled_for, now=datetime.now(UTC))
    except ScheduleRefused as refused:
        raise ApiError(400, refused.code, refused.message) from None


class OrderController(Controller):
    path = "/api/orders"
    tags = ["orders"]
    guards = [requires_login]

    @post(
        "/",
        guards=[customer_only],
        summary="Book a wash; the price is computed here",
        refuses=(OUTSIDE_AREA, TOO_MANY_OPEN, UNKNOWN_PACKAGE, QUOTE_EXPIRED, *SCHEDULE),
        **IDEMPOTENT,
    )
    async def create_order(
        self,
        request: Request[Principal, Any, Any],
        data: OrderIn,
        db_session: AsyncSession,
        settings: Settings,
    ) -> OrderOut:
        check_booking_time(data.scheduled_for)
        order = await orders.create_order(
            db_session,
            request.user,
            data,
            area=settings.service_area,
            max_open_orders=settings.max_open_orders_per_customer,
            zone_resolution=settings.surge_zone_resolution,
        )
        return order_views.order_out(order)

    @get("/", summary="Orders the caller may see, newest first")
    async def list_orders(
        self,
        request: Request[Principal, Any, Any],
        reads: AsyncSession,
        status: list[OrderStatus] | None = None,
        customer_id: IdFilter = None,
        washer_id: IdFilter = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Page[OrderOut]:
        is_admin = request.user.role is Role.ADMIN
        rows, total = await order_views.list_orders(
            reads,
            request.user,
            statuses=status or [],
            customer_id=customer_id if is_admin else None,
            washer_id=washer_id if is_admin else None,
            limit=limit,
            offset=offset,
        )
        return Page(items=rows, total=total, limit=limit, offset=offset)

    @get("/{order_id:int}", summary="An order with its event history and current sequence")
    async def get_order(
        self,
        request: Request[Principal, Any, Any],
        reads: AsyncSession,
        order_id: int = OrderId,
    ) -> OrderDetailOut:
        return await order_views.order_detail(reads, request.user, order_id)

    @post(
        "/{order_id:int}/transitions",
        status_code=HTTP_200_OK,
        summary="Move the order to another status (409 when the move is invalid or lost a race)",
        refuses=TRANSITION,
        **IDEMPOTENT,
    )
    async def transition(
        self,
        request: Request[Principal, Any, Any],
        data: TransitionIn,
        db_session: AsyncSession,
        order_id: int = OrderId,
    ) -> OrderOut:
        order = await order_transitions.transition_order(
            db_session,
            request.user.actor,
            order_id,
            data.to,
            washer_id=data.washer_id,
            reason=data.reason,
            expected_version=data.expected_version,
        )
        return order_views.order_out(order)

    @get(
        "/{order_id:int}/track",
        summary="The washer's recorded path for the order",
        refuses=(TRACK_HIDDEN,),
    )
    async def get_track(
        self,
        request: Request[Principal, Any, Any],
        reads: AsyncSession,
        order_id: int = OrderId,
    ) -> list[TrackPointOut]:
        return await order_track(reads, request.user, order_id)

    @post(
        "/{order_id:int}/review",
        guards=[customer_only],
        summary="Review a completed order once",
        refuses=REVIEW,
        **IDEMPOTENT,
    )
    async def create_review(
        self,
        request: Request[Principal, Any, Any],
        data: ReviewIn,
        db_session: AsyncSession,
        order_id: int = OrderId,
    ) -> ReviewOut:
        return reviews.review_out(
            await reviews.create_review(db_session, request.user, order_id, data)
        )

    @get("/{order_id:int}/review", summary="The review of an order")
    async def get_review(
        self,
        request: Request[Principal, Any, Any],
        reads: AsyncSession,
        order_id: int = OrderId,
    ) -> ReviewOut:
        return reviews.review_out(await reviews.order_review(reads, request.user, order_id))
