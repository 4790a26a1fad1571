"""Washers: admin management; a washer's own profile and availability."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post, put
from sqlalchemy.ext.asyncio import AsyncSession

from app.dependencies import Injected
from app.http.answers import EMAIL_TAKEN, WEAK_PASSWORD
from app.http.auth import admin_only, requires_login, washer_only
from app.http.controllers.params import Limit, Offset, id_path
from app.principal import Principal
from app.schemas.orders import PublicReviewOut
from app.schemas.washers import AvailabilityIn, WasherIn, WasherOut, WasherPatch
from app.services import reviews, washers
from app.session_access import SessionAccess
from app.settings import Settings
from realtime.control import EndReason

WasherId = id_path("washer id")


class WasherController(Controller):
    path = "/api/washers"
    tags = ["washers"]

    @get("/", guards=[admin_only], summary="All washers (admins)")
    async def list_washers(
        self,
        db_session: AsyncSession,
        available: bool | None = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> list[WasherOut]:
        rows = await washers.list_washers(
            db_session, available=available, limit=limit, offset=offset
        )
        return [washers.washer_out(u, p) for u, p in rows]

    @post(
        "/",
        guards=[admin_only],
        summary="Create a washer account (admins)",
        refuses=(EMAIL_TAKEN, WEAK_PASSWORD),
    )
    async def create_washer(
        self,
        request: Request[Principal, Any, Any],
        data: WasherIn,
        db_session: AsyncSession,
        settings: Settings,
    ) -> WasherOut:
        created = await washers.create_washer(db_session, settings, data, request.user.actor)
        return washers.washer_out(*created)

    @get("/me", guards=[washer_only], summary="The calling washer's profile")
    async def me(
        self, request: Request[Principal, Any, Any], db_session: AsyncSession
    ) -> WasherOut:
        return washers.washer_out(*await washers.get_washer(db_session, request.user.id))

    @put("/me/availability", guards=[washer_only], summary="Go on or off duty")
    async def set_availability(
        self, request: Request[Principal, Any, Any], data: AvailabilityIn, db_session: AsyncSession
    ) -> WasherOut:
        return washers.washer_out(
            *await washers.set_availability(db_session, request.user.id, data.is_available)
        )

    @get("/{washer_id:int}", guards=[admin_only], summary="One washer (admins)")
    async def get_washer(self, db_session: AsyncSession, washer_id: int = WasherId) -> WasherOut:
        return washers.washer_out(*await washers.get_washer(db_session, washer_id))

    @patch("/{washer_id:int}", guards=[admin_only], summary="Change a washer (admins)")
    async def update_washer(
        self,
        request: Request[Principal, Any, Any],
        data: WasherPatch,
        db_session: AsyncSession,
        session_access: Injected[SessionAccess],
        washer_id: int = WasherId,
    ) -> WasherOut:
        updated = await washers.update_washer(db_session, washer_id, data, request.user.actor)
        if data.is_active is False:
            await session_access.end(washer_id, reason=EndReason.ACCOUNT_DEACTIVATED)
        return washers.washer_out(*updated)

    @delete("/{washer_id:int}", guards=[admin_only], summary="Deactivate a washer (admins)")
    async def deactivate_washer(
        self,
        request: Request[Principal, Any, Any],
        db_session: AsyncSession,
        session_access: Injected[SessionAccess],
        washer_id: int = WasherId,
    ) -> None:
        await washers.deactivate_washer(db_session, washer_id, request.user.actor)
        await session_access.end(washer_id, reason=EndReason.ACCOUNT_DEACTIVATED)

    @get("/{washer_id:int}/reviews", guards=[requires_login], summary="A washer's reviews")
    async def washer_reviews(
        self,
        db_session: AsyncSession,
        washer_id: int = WasherId,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> list[PublicReviewOut]:
        await washers.get_washer(db_session, washer_id)
        rows = await reviews.washer_reviews(db_session, washer_id, limit, offset)
        return [reviews.public_review_out(r) for r in rows]
