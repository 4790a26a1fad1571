"""The application factory: the Litestar app around the parts `app.bootstrap` builds, with
the HTTP concerns (middleware, OpenAPI, stores, auth, database sessions) configured here."""

from __future__ import annotations

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
from litestar.plugins.prometheus import PrometheusConfig
from litestar.stores.registry import StoreRegistry

from app.bootstrap import Washline, WashlinePlugin
from app.http.answers import RATE_LIMITED_PATHS
from app.http.api_docs import render_plugins
from app.http.auth import build_jwt_auth
from app.http.content_types import JsonBodyRequest, json_bodies_only
from app.http.errors import EXCEPTION_HANDLERS
from app.http.idempotency import IdempotencyMiddleware
from app.http.openapi import BEARER, ErrorResponses, install
from app.http.retry_after import with_retry_after
from app.http.share_limits import share_rate_limit
from app.live.direct_send import CaptureDirectSend
from app.logs import configure_logging, with_request_ids
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


class AppDatabaseConfig(SQLAlchemyAsyncConfig):
    """One database config per application. The library makes its state keys unique across
    every config ever built in the process, a registry that only grows (and recurses past
    about a thousand apps in one test run); one config per app needs no such renaming."""

    def _ensure_unique(
        self, registry_name: str, key: str, new_key: str | None = None, _iter: int = 0
    ) -> str:
        return new_key if new_key is not None else key


def create_app(settings: Settings | None = None) -> Litestar:
    return build_app(Washline(settings or Settings.from_env()))


def build_app(washline: Washline) -> Litestar:
    """The Litestar app around an already built `Washline` (tests reach into its parts)."""
    settings = washline.settings
    configure_logging(settings.log_level)
    jwt_auth = build_jwt_auth(settings, washline.runtime.access)
    database = AppDatabaseConfig(
        engine_instance=washline.runtime.engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        session_dependency_key="db_session",
        set_default_exception_handler=False,
        create_all=False,
    )
    app = Litestar(
        plugins=[
            SQLAlchemyPlugin(config=database),
            WashlinePlugin(washline),
            ErrorResponses(),
            *washline.tracing.plugins(),
        ],
        on_app_init=[jwt_auth.on_app_init],
        middleware=[
            PrometheusConfig(app_name="washline", prefix="washline", group_path=True).middleware,
            _rate_limit(settings).middleware,
            share_rate_limit(settings.share_rate_limit_per_minute).middleware,
            IdempotencyMiddleware(
                washline.runtime.session_factory,
                timedelta(seconds=settings.idempotency_lease_seconds),
            ),
        ],
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
    app = with_retry_after(with_request_ids(app))
    app.asgi_handler = CaptureDirectSend(app.asgi_handler)
    return app


def app_from_env() -> Litestar:
    """Factory for `uvicorn --factory app.asgi:app_from_env`."""
    return create_app()
