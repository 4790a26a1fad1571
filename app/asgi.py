"""The application factory: the Litestar app around the parts `app.bootstrap` builds, with
the HTTP concerns (middleware, OpenAPI, stores, auth, database sessions) configured here.

The stack a connection goes through, outermost first:

1. `WashlineApp.__call__`, Litestar's ASGI entry point, before anything of Litestar's runs:
   - WebSocket only: remember the server's own `send` (`app.live.direct_send`), so event
     frames skip every wrapper below;
   - HTTP and WebSocket: `app.logs.RequestIdMiddleware`, the request id bound to every log
     line, one access line, and (HTTP only) `X-Request-ID`, the security headers and the
     Prometheus request metrics (`app.http.request_metrics`); it must see the answers
     Litestar's exception handling and router make (401, 404, 405).
2. Litestar's entry: the `before_send` hooks (the database session's), for every message.
3. OpenTelemetry (when tracing is on): Litestar's plugin puts its span around all below.
4. CORS (when `CORS_ORIGINS` is set): Litestar's, answers preflights before routing.
5. Litestar's exception handling: `app.http.errors` turns every exception into the JSON
   error body; a 429 gets its `Retry-After` there (`app.http.retry_after`).
6. The router: 404 and 405 are raised here, so only layers above see them.
7. The route's middleware: authentication (the app's one, put there by
   `JWTAuth.on_app_init`), HTTP and WebSocket; then, only on the routes each applies to
   (`app.http.route_layers`, HTTP only): the per-address limit of logins and registrations
   (Litestar's own), the per-address limit of the share routes, idempotency keys.
8. The handler (its guards, `json_bodies_only`, first).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.stores.registry import StoreRegistry
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.types.asgi_types import LifeSpanReceive, LifeSpanScope, LifeSpanSend
from sqlalchemy.ext.asyncio import AsyncEngine

from app.bootstrap import Washline, WashlinePlugin
from app.http.answers import RATE_LIMITED_PATHS
from app.http.api_docs import render_plugins
from app.http.auth import build_jwt_auth
from app.http.content_types import JsonBodyRequest, json_bodies_only
from app.http.errors import EXCEPTION_HANDLERS
from app.http.idempotency import IdempotencyMiddleware
from app.http.openapi import BEARER, ErrorResponses, install
from app.http.route_layers import RouteLayers
from app.http.share_limits import share_rate_limit
from app.live.direct_send import remember_direct_send, run_handed_off
from app.logs import RequestIdMiddleware, configure_logging
from app.rate_limit_store import ResilientStore, redis_rate_limit_store
from app.settings import Settings


def _rate_limit(settings: Settings) -> RateLimitConfig:
    """Throttle login and registration per client address (brute force, sign-up spam).

    The address is the ASGI client, which the server takes from `X-Forwarded-For` only when
    the peer is a trusted proxy (`app.server.uvicorn_config`); logins are also limited per
    account (`app.login_limits`)."""

    async def only_auth_paths(request: Any) -> bool:
        return request.url.path in RATE_LIMITED_PATHS

    # A coroutine: Litestar runs a plain function check in a worker thread, per request.
    return RateLimitConfig(
        rate_limit=("minute", settings.auth_rate_limit_per_minute),
        store="rate_limit",
        check_throttle_handler=only_auth_paths,
        exclude=["^/health", "^/ready", "^/metrics"],
    )


def _stores(settings: Settings) -> StoreRegistry:
    redis = redis_rate_limit_store(settings.redis_url) if settings.uses_redis else None
    return StoreRegistry(stores={"rate_limit": ResilientStore(redis)})


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Washline",
        version="0.1.0",
        description="Real-time backend of an on-demand mobile car-wash business.",
        path="/schema",
        render_plugins=render_plugins(),
        components=Components(
            security_schemes={
                BEARER: SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
    )


_database_configs = itertools.count(1)


def database_config(engine: AsyncEngine) -> SQLAlchemyAsyncConfig:
    """The app's database config, under state and scope keys of its own.

    The library renames a key that another config in the process already took, trying
    `key_1`, `key_2`, ... one recursive call per name taken; a test run builds over a
    thousand apps, which would exhaust the recursion limit on the default names. A name no
    config has used is taken as given, with no search.
    """
    n = next(_database_configs)
    return SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        session_dependency_key="db_session",
        engine_app_state_key=f"washline_db_engine_{n}",
        session_maker_app_state_key=f"washline_db_session_maker_{n}",
        session_scope_key=f"washline_db_session_{n}",
        set_default_exception_handler=False,
        create_all=False,
    )


class WashlineApp(Litestar):
    """Litestar with the layers that must run before any of its own (the module docstring's
    first layer): Litestar's middleware runs only once a route matched, and answers made by
    its exception handling and router would pass them by. They wrap its public ASGI entry
    point, which every server and test client calls, once, at construction."""

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self._outer: ASGIApp = RequestIdMiddleware(super().__call__)

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        if scope["type"] == "lifespan":
            await super().__call__(scope, receive, send)
            return
        if scope["type"] == "websocket":
            remember_direct_send(scope, send)  # type: ignore[arg-type]
            await self._outer(scope, receive, send)  # type: ignore[arg-type]
            await run_handed_off(scope)
            return
        await self._outer(scope, receive, send)  # type: ignore[arg-type]


def create_app(settings: Settings | None = None) -> Litestar:
    return build_app(Washline(settings or Settings.from_env()))


def build_app(washline: Washline) -> Litestar:
    """The Litestar app around an already built `Washline` (tests reach into its parts)."""
    settings = washline.settings
    configure_logging(settings.log_level)
    jwt_auth = build_jwt_auth(settings, washline.runtime.access)
    database = database_config(washline.runtime.engine)
    app = WashlineApp(
        plugins=[
            SQLAlchemyPlugin(config=database),
            WashlinePlugin(washline),
            ErrorResponses(),
            *washline.tracing.plugins(),
            RouteLayers(
                login_limit=_rate_limit(settings).middleware,
                share_limit=share_rate_limit(settings.share_rate_limit_per_minute).middleware,
                idempotency=IdempotencyMiddleware(
                    washline.runtime.session_factory,
                    timedelta(seconds=settings.idempotency_lease_seconds),
                ),
            ),
        ],
        on_app_init=[jwt_auth.on_app_init],
        exception_handlers=EXCEPTION_HANDLERS,
        guards=[json_bodies_only],
        request_class=JsonBodyRequest,
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins))
        if settings.cors_origins
        else None,
        openapi_config=_openapi(),
        stores=_stores(settings),
        logging_config=None,
        debug=False,
    )
    install(app)
    return app


def app_from_env() -> Litestar:
    """Factory for `uvicorn --factory app.asgi:app_from_env`."""
    return create_app()
