"""Registration, login, token refresh, logout, the caller's profile, admin-created users."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from app.dependencies import Injected
from app.http.answers import (
    ACCOUNT_DISABLED,
    EMAIL_TAKEN,
    INVALID_CREDENTIALS,
    INVALID_REFRESH,
    INVALID_ROLE,
    LOGIN_THROTTLED,
    MFA_REQUIRED,
    WEAK_PASSWORD,
)
from app.http.auth import admin_only, requires_login
from app.http.openapi import error_response
from app.login_limits import limit_account_attempts
from app.principal import Principal
from app.schemas.accounts import (
    ChangePasswordRequest,
    CreateUserRequest,
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    TokenPair,
    UserOut,
)
from app.services import accounts, password_change
from app.session_access import SessionAccess
from app.settings import Settings
from domain.roles import Role
from realtime.control import EndReason

LOGIN_LIMIT_STORE = "rate_limit"
"""The store `app.asgi` registers for rate-limit counters (Redis when configured)."""


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]
    # Public routes whose answers are the caller's own tokens (RFC 6749 5.1): never cached.
    cache_control = CacheControlHeader(no_store=True)

    @post(
        "/register",
        summary="Register a customer account and log in",
        refuses=(EMAIL_TAKEN, WEAK_PASSWORD),
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: RegisterRequest,
        db_session: AsyncSession,
        settings: Settings,
    ) -> TokenPair:
        user = await accounts.create_user(
            db_session,
            settings,
            email=data.email,
            password=data.password,
            full_name=data.full_name,
            role=Role.CUSTOMER,
            self_service=True,
        )
        return await accounts.issue_tokens(
            db_session, settings, user, user_agent=request.headers.get("user-agent")
        )

    @post(
        "/login",
        status_code=HTTP_200_OK,
        summary="Exchange email and password for tokens",
        refuses=(INVALID_CREDENTIALS, MFA_REQUIRED, ACCOUNT_DISABLED, LOGIN_THROTTLED),
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: LoginRequest,
        db_session: AsyncSession,
        settings: Settings,
    ) -> TokenPair:
        await limit_account_attempts(
            request.app.stores.get(LOGIN_LIMIT_STORE),
            data.email,
            settings.auth_account_rate_limit_per_minute,
        )
        return await accounts.login(
            db_session,
            settings,
            data.email,
            data.password,
            user_agent=request.headers.get("user-agent"),
        )

    @post(
        "/refresh",
        status_code=HTTP_200_OK,
        summary="Rotate a refresh token for a new pair",
        refuses=(INVALID_REFRESH, ACCOUNT_DISABLED),
    )
    async def refresh(
        self,
        request: Request[Any, Any, Any],
        data: RefreshRequest,
        db_session: AsyncSession,
        settings: Settings,
    ) -> TokenPair:
        user_agent = request.headers.get("user-agent")
        return await accounts.refresh(db_session, settings, data.refresh_token, user_agent)

    @post("/logout", status_code=HTTP_204_NO_CONTENT, summary="Revoke a refresh token")
    async def logout(
        self,
        data: RefreshRequest,
        db_session: AsyncSession,
        session_access: Injected[SessionAccess],
    ) -> None:
        """The session ends: its access tokens are refused and its live connections end."""
        user_id, session_id = await accounts.logout(db_session, data.refresh_token)
        await session_access.end(user_id, [session_id])


class MeController(Controller):
    path = "/api/me"
    tags = ["auth"]
    guards = [requires_login]

    @get("/", summary="The calling user")
    async def me(self, request: Request[Principal, Any, Any], db_session: AsyncSession) -> UserOut:
        return accounts.user_out(await accounts.get_user(db_session, request.user.id))

    @post(
        "/password",
        status_code=HTTP_204_NO_CONTENT,
        summary="Change the caller's password; the account's other sessions end",
        description="Every other session's refresh token is refused from now on, its access "
        "tokens within seconds, and its live connections end (WebSocket close 4001, SSE "
        "`end` event, code `access_revoked`). Wrong current passwords count against the "
        "account's login attempts.",
        refuses=(WEAK_PASSWORD, LOGIN_THROTTLED),
        responses={403: error_response("`wrong_password`: the current password is wrong")},
    )
    async def change_password(
        self,
        request: Request[Principal, Any, Any],
        data: ChangePasswordRequest,
        db_session: AsyncSession,
        settings: Settings,
        session_access: Injected[SessionAccess],
    ) -> None:
        await limit_account_attempts(
            request.app.stores.get(LOGIN_LIMIT_STORE),
            request.user.email,
            settings.auth_account_rate_limit_per_minute,
        )
        user = request.user
        ended = await password_change.change_password(
            db_session,
            settings,
            user.actor,
            data.current_password,
            data.new_password,
            keep_session=user.session_id,
        )
        await session_access.end(user.id, ended, EndReason.PASSWORD_CHANGED)


class UsersController(Controller):
    path = "/api/users"
    tags = ["admin"]
    guards = [admin_only]

    @post(
        "/",
        summary="Create a user of any role (admins only)",
        refuses=(EMAIL_TAKEN, WEAK_PASSWORD, INVALID_ROLE),
    )
    async def create(
        self,
        request: Request[Principal, Any, Any],
        data: CreateUserRequest,
        db_session: AsyncSession,
        settings: Settings,
    ) -> UserOut:
        user = await accounts.create_user(
            db_session,
            settings,
            email=data.email,
            password=data.password,
            full_name=data.full_name,
            role=data.role,
            actor=request.user.actor,
        )
        return accounts.user_out(user)
