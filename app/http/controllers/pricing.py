"""Surge pricing over HTTP: quotes that hold, the zone price stream, the admins' zone controls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK
from litestar.types import ASGIApp
from sqlalchemy.ext.asyncio import AsyncSession

from app.dependencies import Injected
from app.http.answers import OUTSIDE_AREA, STREAM, UNKNOWN_PACKAGE, Answer
from app.http.auth import admin_only, customer_only, requires_login
from app.http.openapi import EVENT_STREAM, RESUMES
from app.lifecycle import Runtime
from app.live.sse import stream_channels
from app.principal import Principal
from app.schemas.common import Latitude, Longitude
from app.schemas.pricing import QuoteIn, QuoteOut, ZoneControlIn, ZoneOut
from app.services import pricing
from app.settings import Settings
from domain.channels import zone_channel
from domain.geo import LatLng
from domain.zones import zone_of
from realtime.session_context import SessionContext

ZONE_NOT_FOUND = Answer(404, "not_found", "not an H3 cell name")


class QuoteController(Controller):
    path = "/api/quotes"
    tags = ["pricing"]
    guards = [requires_login, customer_only]

    @post(
        "/",
        status_code=HTTP_200_OK,
        summary="Quote a wash here and now: the price with its surge, held until `expires_at`",
        refuses=(OUTSIDE_AREA, UNKNOWN_PACKAGE),
    )
    async def create_quote(
        self,
        request: Request[Principal, Any, Any],
        data: QuoteIn,
        db_session: AsyncSession,
        settings: Settings,
    ) -> QuoteOut:
        """Book with `quote_id` before `expires_at` to pay exactly `price_cents`, even if the
        zone's surge moved meanwhile."""
        return await pricing.issue_quote(
            db_session,
            request.user,
            data,
            area=settings.service_area,
            resolution=settings.surge_zone_resolution,
            ttl=timedelta(seconds=settings.quote_ttl_seconds),
            now=datetime.now(UTC),
        )


class ZoneAdminController(Controller):
    path = "/api/admin/zones"
    tags = ["admin", "pricing"]
    guards = [admin_only]

    @get("/", summary="Every zone the surge computation knows: multiplier, load, cap and pin")
    async def list_zones(self, db_session: AsyncSession) -> list[ZoneOut]:
        return await pricing.list_zones(db_session)

    @put(
        "/{zone:str}/control",
        summary="Cap or pin a zone's multiplier (`null` lifts it); applies at the next computation",
        refuses=(ZONE_NOT_FOUND,),
    )
    async def control_zone(
        self,
        db_session: AsyncSession,
        data: ZoneControlIn,
        zone: str = Parameter(description="the zone's H3 cell", max_length=15),
    ) -> ZoneOut:
        return await pricing.control_zone(db_session, zone, data, datetime.now(UTC))


@get(
    "/api/pricing/stream",
    guards=[requires_login],
    tags=["live", "pricing"],
    opt={EVENT_STREAM: True, RESUMES: True},
    refuses=STREAM,
    summary="SSE stream of the live surge of the zone of a point (`surge.zone`, latest wins)",
)
async def pricing_stream(
    request: Request[Principal, Any, Any],
    runtime: Injected[Runtime],
    session_context: Injected[SessionContext],
    settings: Settings,
    lat: Latitude,
    lng: Longitude,
) -> ASGIApp:
    """The zone's newest price arrives first (a history of one), then every change."""
    zone = zone_of(LatLng(lat, lng), settings.surge_zone_resolution)
    return stream_channels(request, runtime, session_context, [zone_channel(zone)], latest=True)
