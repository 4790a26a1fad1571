"""Who is calling: the identity an access token carries, the same for every transport.

HTTP routes, SSE streams, the WebSocket handshake, its `auth` op and the services all speak of
the caller as a `Principal`, read from the token alone (no database lookup). It lives outside
the HTTP edge so services and the live core can name the caller without importing HTTP.
"""

from __future__ import annotations

import weakref

import msgspec
from litestar.security.jwt import Token

from app.settings import Settings
from domain.mfa import lacks_required_second_factor
from domain.roles import Actor, Role


class Principal(msgspec.Struct, frozen=True, weakref=True):
    """Who is calling, as the access token says; no database lookup needed. Weakly
    referenceable so that live connections of one token share one (`shared`)."""

    id: int
    role: Role
    email: str
    expires_at: float
    session_id: str | None = None
    """The refresh-token family (session) the token was issued with; None for older tokens."""
    second_factor: bool = False
    """The session passed a second factor (`app.services.mfa`)."""
    lacks_second_factor: bool = False
    """An admin who must, and did not, log in with a second factor: admin routes refuse."""

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.id, role=self.role)


def principal_from_token(token: Token) -> Principal | None:
    try:
        return Principal(
            id=int(token.sub),
            role=Role(token.extras["role"]),
            email=str(token.extras.get("email", "")),
            expires_at=token.exp.timestamp(),
            session_id=str(token.extras["sid"]) if token.extras.get("sid") else None,
            second_factor="otp" in (token.extras.get("amr") or ()),
        )
    except (KeyError, ValueError):
        return None


def with_second_factor_rule(principal: Principal, settings: Settings) -> Principal:
    """Mark an admin who lacks a second factor the operator requires (HTTP, SSE, WebSocket
    handshake and the `auth` op alike)."""
    if lacks_required_second_factor(
        principal.role, principal.second_factor, required_for_admins=settings.requires_admin_mfa
    ):
        return msgspec.structs.replace(principal, lacks_second_factor=True)
    return principal


_shared: weakref.WeakValueDictionary[tuple[object, ...], Principal] = weakref.WeakValueDictionary()
"""Keyed by the principal's fields (a key must not hold the principal itself)."""


def shared(principal: Principal) -> Principal:
    """The one live instance equal to ``principal``: a user's connections (tabs, devices,
    a reconnect) share one principal, held for as long as any of them lives, instead of a
    copy each per idle connection."""
    key = msgspec.structs.astuple(principal)
    kept = _shared.get(key)
    if kept is None:
        _shared[key] = kept = principal
    return kept
