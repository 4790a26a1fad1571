"""Sessions: a user lists and ends their own; an admin ends all of a user's."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from app.dependencies import Injected
from app.http.auth import admin_only, requires_login
from app.http.controllers.params import id_path
from app.http.openapi import error_response
from app.principal import Principal
from app.schemas.sessions import RevokedOut, SessionOut
from app.services import sessions
from app.session_access import SessionAccess

SessionIdPath = Parameter(title="session id", min_length=1, max_length=32, pattern=r"^[a-z0-9-]+$")
UserId = id_path("user id")
STILL_VALID = (
    "Its refresh token is refused from now on, its access tokens within seconds, and its "
    "live connections end (WebSocket close 4001, SSE `end` event, code `access_revoked`)."
)


class MySessionsController(Controller):
    path = "/api/me/sessions"
    tags = ["auth"]
    guards = [requires_login]

    @get("/", summary="The caller's live sessions (logins), most recently used first")
    async def list_sessions(
        self, request: Request[Principal, Any, Any], db_session: AsyncSession
    ) -> list[SessionOut]:
        return await sessions.list_sessions(db_session, request.user.id, request.user.session_id)

    @delete(
        "/{session_id:str}",
        summary="End one of the caller's sessions",
        description=STILL_VALID,
        responses={
            404: error_response(
                "`not_found`: no such live session of yours (another user's answers alike)"
            )
        },
    )
    async def revoke(
        self,
        request: Request[Principal, Any, Any],
        db_session: AsyncSession,
        session_access: Injected[SessionAccess],
        session_id: str = SessionIdPath,
    ) -> None:
        await sessions.revoke_session(db_session, request.user.actor, session_id)
        await session_access.end(request.user.id, [session_id])

    @delete(
        "/",
        status_code=HTTP_200_OK,
        summary="End the caller's sessions: every other one, or all with keep_current=false",
        description=STILL_VALID,
    )
    async def revoke_many(
        self,
        request: Request[Principal, Any, Any],
        db_session: AsyncSession,
        session_access: Injected[SessionAccess],
        keep_current: bool = True,
    ) -> RevokedOut:
        keep = request.user.session_id if keep_current else None
        revoked = await sessions.revoke_sessions(db_session, request.user.actor, keep=keep)
        await session_access.end(request.user.id, revoked)
        return RevokedOut(revoked=len(revoked))


class UserSessionsController(Controller):
    path = "/api/admin/users"
    tags = ["admin"]
    guards = [admin_only]

    @delete(
        "/{user_id:int}/sessions",
        status_code=HTTP_200_OK,
        summary="End every session of a user (admins)",
        description=STILL_VALID,
        responses={
            403: error_response("`forbidden`: admins only"),
            404: error_response("`not_found`: no such user"),
        },
    )
    async def revoke_all(
        self,
        request: Request[Principal, Any, Any],
        db_session: AsyncSession,
        session_access: Injected[SessionAccess],
        user_id: int = UserId,
    ) -> RevokedOut:
        count = await sessions.revoke_user_sessions(db_session, request.user.actor, user_id)
        await session_access.end(user_id)
        return RevokedOut(revoked=count)
