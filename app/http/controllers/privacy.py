"""A user's data: export it, erase it (the user, or an admin on a request's behalf)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from app.dependencies import Injected
from app.http.auth import admin_only, requires_login
from app.http.controllers.params import id_path
from app.http.openapi import error_response
from app.principal import Principal
from app.schemas.privacy import AdminEraseIn, DataExport, EraseIn, ErasureOut
from app.services import data_export, erasure
from app.session_access import SessionAccess
from realtime.control import EndReason

UserId = id_path("user id")
ERASURE = (
    "Personal data is replaced by tombstones; orders, prices, statuses and ratings stay for "
    "the books (every reference holds, KPIs do not change). Sessions, the second factor, "
    "notifications and track points are deleted; the account can no longer log in. Access "
    "tokens already issued live out `ACCESS_TOKEN_TTL_SECONDS`."
)
OPEN_ORDERS = error_response("`open_orders`: the account has an order not yet finished")


class MyDataController(Controller):
    path = "/api/me"
    tags = ["privacy"]
    guards = [requires_login]
    cache_control = CacheControlHeader(no_store=True)

    @get("/export", summary="Everything held about the caller, as one JSON document")
    async def export(
        self, request: Request[Principal, Any, Any], db_session: AsyncSession
    ) -> DataExport:
        user = request.user
        return await data_export.export_user_data(db_session, user.actor, user.id)

    @post(
        "/erase",
        status_code=HTTP_200_OK,
        summary="Erase the caller's account and personal data (asks for the password)",
        description=ERASURE,
        responses={
            403: error_response("`wrong_password`: the password is not the account's"),
            409: OPEN_ORDERS,
        },
    )
    async def erase(
        self,
        request: Request[Principal, Any, Any],
        data: EraseIn,
        db_session: AsyncSession,
        session_access: Injected[SessionAccess],
    ) -> ErasureOut:
        await erasure.check_password(db_session, request.user.id, data.password)
        erased = await erasure.erase_user(db_session, request.user.actor, request.user.id)
        await session_access.end(request.user.id, reason=EndReason.ACCOUNT_ERASED)
        return erased


class UserDataController(Controller):
    path = "/api/admin/users"
    tags = ["privacy"]
    guards = [admin_only]
    cache_control = CacheControlHeader(no_store=True)

    @get(
        "/{user_id:int}/export",
        summary="Everything held about a user (admins, answering a request)",
        responses={
            403: error_response("`forbidden`: admins only"),
            404: error_response("`not_found`: no such user"),
        },
    )
    async def export(
        self, request: Request[Principal, Any, Any], db_session: AsyncSession, user_id: int = UserId
    ) -> DataExport:
        return await data_export.export_user_data(db_session, request.user.actor, user_id)

    @post(
        "/{user_id:int}/erase",
        status_code=HTTP_200_OK,
        summary="Erase a user's account and personal data (admins, with a reason)",
        description=ERASURE,
        responses={
            403: error_response("`forbidden`: admins only"),
            404: error_response("`not_found`: no such user"),
            409: OPEN_ORDERS,
        },
    )
    async def erase(
        self,
        request: Request[Principal, Any, Any],
        data: AdminEraseIn,
        db_session: AsyncSession,
        session_access: Injected[SessionAccess],
        user_id: int = UserId,
    ) -> ErasureOut:
        erased = await erasure.erase_user(db_session, request.user.actor, user_id, data.reason)
        await session_access.end(user_id, reason=EndReason.ACCOUNT_ERASED)
        return erased
