"""Share links of an order: the customer makes and revokes them; anyone holding one reads
the order as `domain.sharing` allows, once (`GET /api/share/{token}`) or live (SSE)."""

from __future__ import annotations

from typing import Any, cast

from litestar import Controller, Request, delete, get, post
from litestar.middleware.rate_limit import get_remote_address
from litestar.status_codes import HTTP_200_OK
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession
from sse_starlette import EventSourceResponse

from app.dependencies import Injected
from app.http.answers import SHARE_FINISHED, SHARE_MISSING, SHARE_THROTTLED
from app.http.auth import customer_only, requires_login
from app.http.controllers.params import id_path
from app.http.errors import ApiError
from app.http.openapi import EVENT_STREAM
from app.lifecycle import Runtime
from app.live.share_stream import ShareStream
from app.principal import Principal
from app.schemas.shares import SharedOrder, ShareOut, SharesRevokedOut
from app.services import shares
from app.settings import Settings

OrderId = id_path("order id")


class OrderShareController(Controller):
    path = "/api/orders"
    tags = ["sharing"]
    guards = [requires_login, customer_only]

    @post(
        "/{order_id:int}/share",
        summary="Make a share link: anyone holding it may watch the order on the way",
        refuses=(SHARE_FINISHED,),
    )
    async def create_share(
        self,
        request: Request[Principal, Any, Any],
        db_session: AsyncSession,
        settings: Settings,
        order_id: int = OrderId,
    ) -> ShareOut:
        """The token is in the answer only: keep it, it cannot be read again. The link
        works until revoked, for `SHARE_LINK_TTL_SECONDS` at most, and ends with the order."""
        return await shares.create_share(
            db_session, request.user, order_id, settings.share_link_ttl_seconds
        )

    @delete(
        "/{order_id:int}/share",
        summary="Revoke every share link of the order",
        status_code=HTTP_200_OK,
    )
    async def revoke_shares(
        self,
        request: Request[Principal, Any, Any],
        db_session: AsyncSession,
        order_id: int = OrderId,
    ) -> SharesRevokedOut:
        revoked = await shares.revoke_shares(db_session, request.user, order_id)
        return SharesRevokedOut(revoked=revoked)


class ShareController(Controller):
    """Public: the token is the credential, read-only and for one order."""

    path = "/api/share"
    tags = ["sharing"]

    @get(
        "/{token:str}",
        summary="What a share link shows now: status, washer's position, ETA, destination pin",
        refuses=(SHARE_MISSING, SHARE_THROTTLED),
    )
    async def shared_order(
        self, token: str, db_session: AsyncSession, settings: Settings
    ) -> SharedOrder:
        share = await shares.resolve(db_session, token)
        return await shares.shared_order(db_session, share, settings.service_area)

    @get(
        "/{token:str}/events",
        tags=["sharing", "live"],
        opt={EVENT_STREAM: True},
        refuses=(SHARE_MISSING, SHARE_THROTTLED),
        summary="SSE stream of a share link: share.snapshot, share.status, share.location, end",
    )
    async def share_events(
        self, token: str, request: Request[Any, Any, Any], runtime: Injected[Runtime]
    ) -> ASGIApp:
        """At most `SHARE_MAX_STREAMS_PER_ADDRESS` open at once per client address."""
        if runtime.draining:
            raise ApiError(503, "draining", "server restarting; reconnect")
        async with runtime.session_factory() as session:
            share = await shares.resolve(session, token)
        slot = runtime.share_streams.take(get_remote_address(request))
        stream = ShareStream(runtime, token, share.order.id)
        response = cast(
            "ASGIApp",
            EventSourceResponse(
                stream.events(),
                ping=runtime.settings.heartbeat_seconds,
                headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
            ),
        )

        async def holding_the_slot(scope: Scope, receive: Receive, send: Send) -> None:
            # However the response ends (finished, client gone, cancelled), the slot is back.
            try:
                await response(scope, receive, send)
            finally:
                slot.release()

        return holding_the_slot
