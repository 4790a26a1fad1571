"""Authentication middleware and guards, shared by HTTP, SSE and WebSocket routes.

Litestar's JWT middleware reads the token only from a header. Browsers cannot set headers on
a WebSocket or an EventSource, so ours also accepts `?token=` and, for WebSockets, a
`bearer.<jwt>` subprotocol. A WebSocket with a bad token is not refused at the handshake
(browsers cannot see why): it is accepted as anonymous with the reason kept in the scope, and
the socket handler closes it with a clear code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import jwt
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from app.http.errors import ApiError
from app.http.verified_tokens import VERIFIED
from app.principal import Principal, principal_from_token, with_second_factor_rule
from app.security import ALGORITHM
from app.settings import Settings
from domain.roles import Role

if TYPE_CHECKING:
    from app.session_access import SessionAccess

SUBPROTOCOL_PREFIX = "bearer."
AUTH_OPTIONAL = "auth_optional"
"""Route opt: anonymous callers are let through as `None`; a token, if sent, must be valid."""
AUTH_ERROR_SCOPE_KEY = "washline.auth_error"
PUBLIC_PATHS = [
    "^/health$",
    "^/ready$",
    "^/metrics",
    "^/schema",
    "^/asyncapi.json$",
    "^/api/auth/",
    "^/dashboard",
    "^/sdk/",
    "^/track/",
    "^/api/share/",
    "^/favicon",
]


async def retrieve_principal(
    token: Token, _connection: ASGIConnection[Any, Any, Any, Any]
) -> Principal | None:
    principal = principal_from_token(token)
    if principal is None or principal.role is Role.SYSTEM:
        return None
    return principal


class SessionEnded(NotAuthorizedException):
    """A well-signed access token whose session was revoked, or whose account was
    deactivated or erased (`app.session_access`)."""


SESSION_ENDED_MESSAGE = "this session has ended; log in again"


def principal_retriever(
    settings: Settings, access: SessionAccess | None = None
) -> Callable[[Token, ASGIConnection[Any, Any, Any, Any]], Awaitable[Principal | None]]:
    """`retrieve_principal`, refusing a token whose session has ended (when `access` is
    given) and marking admins who lack a second factor the operator requires."""

    async def retrieve(
        token: Token, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> Principal | None:
        principal = await retrieve_principal(token, connection)
        if principal is None:
            return None
        issued_at = token.iat.timestamp()
        if access is not None and not access.allows(principal.id, principal.session_id, issued_at):
            raise SessionEnded(SESSION_ENDED_MESSAGE)
        return with_second_factor_rule(principal, settings)

    return retrieve


def token_from_connection(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """Header first, then `?token=`, then a `bearer.<jwt>` WebSocket subprotocol."""
    header = connection.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        return value if scheme.lower() == "bearer" and value else None
    query_token = connection.query_params.get("token")
    if query_token:
        return str(query_token)
    protocols = connection.headers.get("sec-websocket-protocol", "")
    for protocol in (p.strip() for p in protocols.split(",")):
        if protocol.startswith(SUBPROTOCOL_PREFIX):
            return protocol[len(SUBPROTOCOL_PREFIX) :]
    return None


class WashlineJWTMiddleware(JWTAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        encoded = token_from_connection(connection)
        is_websocket = connection.scope["type"] == "websocket"
        if not encoded and _auth_optional(connection):
            return AuthenticationResult(user=None, auth=None)
        try:
            if not encoded:
                raise NotAuthorizedException("authentication required")
            return await self.authenticate_token(encoded_token=encoded, connection=connection)
        except NotAuthorizedException as exc:
            if not is_websocket:
                raise ApiError(401, "unauthorized", _auth_message(exc, encoded)) from None
            connection.scope[AUTH_ERROR_SCOPE_KEY] = _auth_message(exc, encoded)  # type: ignore[literal-required]
            return AuthenticationResult(user=None, auth=None)

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """Litestar's check, but a token this process verified before, and that has not
        expired since, is not decoded again (`app.http.verified_tokens`); the user and their
        session are looked up on every request as before."""
        token = VERIFIED.get(self.token_secret, encoded_token)
        if token is None:
            token = self.token_cls.decode(
                encoded_token=encoded_token,
                secret=self.token_secret,
                algorithm=self.algorithm,
                audience=self.token_audience,
                issuer=self.token_issuer,
                require_claims=self.require_claims,
                verify_exp=self.verify_expiry,
                verify_nbf=self.verify_not_before,
                strict_audience=self.strict_audience,
            )
            VERIFIED.put(self.token_secret, encoded_token, token)
        user = await self.retrieve_user_handler(token, connection)
        revoked = bool(
            self.revoked_token_handler and await self.revoked_token_handler(token, connection)
        )
        if not user or revoked:
            raise NotAuthorizedException()
        return AuthenticationResult(user=user, auth=token)


def _auth_optional(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    handler = connection.scope.get("route_handler")
    return bool(handler is not None and handler.opt.get(AUTH_OPTIONAL))


def _auth_message(exc: NotAuthorizedException, encoded: str | None) -> str:
    if not encoded:
        return "authentication required"
    if isinstance(exc, SessionEnded):
        return SESSION_ENDED_MESSAGE
    if (
        isinstance(exc.__cause__, jwt.ExpiredSignatureError)
        or "expired" in (exc.detail or "").lower()
    ):
        return "token expired"
    return "invalid token"


def build_jwt_auth(
    settings: Settings, access: SessionAccess | None = None
) -> JWTAuth[Principal, Token]:
    return JWTAuth[Principal, Token](
        retrieve_user_handler=principal_retriever(settings, access),
        token_secret=settings.jwt_secret,
        algorithm=ALGORITHM,
        exclude=PUBLIC_PATHS,
        authentication_middleware_class=WashlineJWTMiddleware,
        default_token_expiration=timedelta(seconds=settings.access_token_ttl_seconds),
    )


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise ApiError(401, "unauthorized", "authentication required")
    return user


class RoleGuard:
    """A guard admitting only the given roles (typed on ASGIConnection: serves WebSockets too).

    A class rather than a closure so the OpenAPI document can read which roles it admits.
    Guards are coroutines, as every guard here: Litestar runs a plain function guard in a
    worker thread, a hand-off that cost more than the check itself on every request."""

    def __init__(self, *roles: Role) -> None:
        self.roles = roles

    async def __call__(
        self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
    ) -> None:
        principal = current_principal(connection)
        if principal.role not in self.roles:
            raise ApiError(
                403, "forbidden", "this action needs the role " + " or ".join(self.roles)
            )
        if principal.lacks_second_factor:
            raise ApiError(
                403,
                "second_factor_required",
                "admins must log in with a second factor: enrol one at /api/me/mfa/totp, "
                "then refresh or log in again",
            )


def requires_role(*roles: Role) -> RoleGuard:
    return RoleGuard(*roles)


async def requires_login(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    current_principal(connection)


admin_only = requires_role(Role.ADMIN)
customer_only = requires_role(Role.CUSTOMER)
washer_only = requires_role(Role.WASHER)
