"""Second factor: a user enrols an authenticator app; a login finishes with its code."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from app.dependencies import Injected
from app.http.auth import requires_login
from app.http.openapi import error_response
from app.mfa_secrets import secret_box
from app.principal import Principal
from app.schemas.accounts import TokenPair
from app.schemas.mfa import (
    MfaCodeIn,
    MfaLoginIn,
    MfaStatusOut,
    RecoveryCodesOut,
    TotpEnrolIn,
    TotpEnrolmentOut,
)
from app.services import accounts, mfa
from app.session_access import SessionAccess
from app.settings import Settings
from domain.mfa import ATTEMPTS_PER_MINUTE

LOGIN_LIMIT_STORE = "rate_limit"
WRONG_CODE = error_response("`invalid_mfa_code`: the code is wrong, expired or already used")


class MfaController(Controller):
    path = "/api/me/mfa"
    tags = ["auth"]
    guards = [requires_login]

    @get("/", summary="Whether the caller's logins ask for a second factor")
    async def status(
        self, request: Request[Principal, Any, Any], db_session: AsyncSession
    ) -> MfaStatusOut:
        return await mfa.status(db_session, request.user.id)

    @post(
        "/totp",
        summary="Start enrolling an authenticator app: a secret and its otpauth URI",
        description="Not in force until confirmed with a code from the app "
        "(`POST /api/me/mfa/totp/confirm`); starting again replaces an unconfirmed secret.",
        responses={
            403: error_response("`wrong_password`: the password is not the account's"),
            409: error_response("`mfa_already_enabled`: disable it first"),
        },
    )
    async def enrol(
        self,
        request: Request[Principal, Any, Any],
        data: TotpEnrolIn,
        db_session: AsyncSession,
        settings: Settings,
    ) -> TotpEnrolmentOut:
        user = await accounts.get_user(db_session, request.user.id)
        return await mfa.start_enrolment(db_session, secret_box(settings), user, data.password)

    @post(
        "/totp/confirm",
        status_code=HTTP_200_OK,
        summary="Confirm the app with a code: logins now ask for it; answers recovery codes",
        description="The account's other sessions end; this one continues, and its next "
        "refresh gives access tokens that count as having passed the second factor.",
        responses={
            400: WRONG_CODE,
            409: error_response("`mfa_not_pending`: no enrolment was started"),
        },
    )
    async def confirm(
        self,
        request: Request[Principal, Any, Any],
        data: MfaCodeIn,
        db_session: AsyncSession,
        settings: Settings,
        session_access: Injected[SessionAccess],
    ) -> RecoveryCodesOut:
        user = request.user
        codes, ended = await mfa.confirm_enrolment(
            db_session, secret_box(settings), user.actor, data.code, user.session_id
        )
        await session_access.end(user.id, ended)
        return codes

    @post(
        "/disable",
        status_code=HTTP_200_OK,
        summary="Remove the second factor, proven with a current code or a recovery code",
        responses={
            400: WRONG_CODE,
            409: error_response("`mfa_not_enabled`: the account has no second factor"),
        },
    )
    async def disable(
        self,
        request: Request[Principal, Any, Any],
        data: MfaCodeIn,
        db_session: AsyncSession,
        settings: Settings,
    ) -> MfaStatusOut:
        return await mfa.disable(db_session, secret_box(settings), request.user.actor, data.code)


class MfaLoginController(Controller):
    path = "/api/auth/mfa"
    tags = ["auth"]
    cache_control = CacheControlHeader(no_store=True)

    @post(
        "/",
        status_code=HTTP_200_OK,
        summary="A login's second step: the `mfa_token` from `mfa_required` and a code",
        description="A recovery code works once in place of the app's code. "
        f"An account may send {ATTEMPTS_PER_MINUTE} codes a minute.",
        responses={
            400: WRONG_CODE,
            401: error_response(
                "`invalid_mfa_token`: expired (after 5 minutes), invalid, or the account "
                "was disabled or lost its second factor: log in again"
            ),
            429: error_response("`rate_limited`: too many codes for this account this minute"),
        },
    )
    async def complete(
        self,
        request: Request[Any, Any, Any],
        data: MfaLoginIn,
        db_session: AsyncSession,
        settings: Settings,
    ) -> TokenPair:
        return await mfa.complete_login(
            db_session,
            settings,
            request.app.stores.get(LOGIN_LIMIT_STORE),
            data.mfa_token,
            data.code,
            request.headers.get("user-agent"),
        )
