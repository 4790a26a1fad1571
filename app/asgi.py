"""The application factory: the one place where Washline's parts are wired together."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry

from app.auth import build_jwt_auth
from app.content_types import JsonBodyRequest, json_bodies_only
from app.controllers.accounts import AuthController, MeController, UsersController
from app.controllers.admin import AdminController
from app.controllers.catalog import PackageController, VehicleController
from app.controllers.chat import ChatController
from app.controllers.health import health, ready
from app.controllers.location import WasherLiveController
from app.controllers.notifications import NotificationController
from app.controllers.orders import OrderController
from app.controllers.washers import WasherController
from app.dashboard.routes import DASHBOARD_ROUTES
from app.errors import EXCEPTION_HANDLERS
from app.lifecycle import Runtime, runtime_lifespan
from app.live import ops as live_ops  # noqa: F401  (registers the location, chat and typing ops)
from app.live.direct_send import CaptureDirectSend
from app.live.flows import flows_lifespan
from app.live.kpis import kpi_lifespan
from app.live.presence import channel_presence, washers_online
from app.live.sse import admin_stream, my_events, order_events
from app.live.ws import live_socket
from app.logs import configure_logging, with_request_ids
from app.openapi import ErrorResponses
from app.settings import Settings

RATE_LIMITED_PATHS = frozenset({"/api/auth/login", "/api/auth/register"})


def _rate_limit(settings: Settings) -> RateLimitConfig:
    """Throttle login and registration per client address (brute force, sign-up spam)."""

    def only_auth_paths(request: Any) -> bool:
        return request.url.path in RATE_LIMITED_PATHS

    return RateLimitConfig(
        rate_limit=("minute", settings.auth_rate_limit_per_minute),
        store="rate_limit",
        check_throttle_handler=only_auth_paths,
        exclude=["^/health", "^/ready", "^/metrics"],
    )


def _stores(settings: Settings) -> StoreRegistry:
    if settings.uses_redis:
        store: Any = RedisStore.with_client(url=settings.redis_url, namespace="washline-ratelimit")
    else:
        store = MemoryStore()
    return StoreRegistry(stores={"rate_limit": store})


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Washline",
        version="0.1.0",
        description="Real-time backend of an on-demand mobile car-wash business.",
        path="/schema",
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        security=[{"BearerToken": []}],
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
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    runtime = Runtime(settings)
    jwt_auth = build_jwt_auth(settings)
    database = AppDatabaseConfig(
        engine_instance=runtime.engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        session_dependency_key="db_session",
        set_default_exception_handler=False,
        create_all=False,
    )
    app = Litestar(
        route_handlers=[
            health,
            ready,
            PrometheusController,
            AuthController,
            MeController,
            UsersController,
            VehicleController,
            PackageController,
            WasherController,
            OrderController,
            ChatController,
            NotificationController,
            WasherLiveController,
            AdminController,
            live_socket,
            order_events,
            my_events,
            admin_stream,
            channel_presence,
            washers_online,
            *DASHBOARD_ROUTES,
        ],
        plugins=[SQLAlchemyPlugin(config=database), ErrorResponses()],
        on_app_init=[jwt_auth.on_app_init],
        middleware=[
            PrometheusConfig(app_name="washline", prefix="washline", group_path=True).middleware,
            _rate_limit(settings).middleware,
        ],
        dependencies={"settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,
        guards=[json_bodies_only],
        request_class=JsonBodyRequest,
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins))
        if settings.cors_origins
        else None,
        openapi_config=_openapi(),
        stores=_stores(settings),
        lifespan=[runtime_lifespan, flows_lifespan, kpi_lifespan],
        state=State({"runtime": runtime}),
        logging_config=None,
        debug=False,
    )
    app = with_request_ids(app)
    app.asgi_handler = CaptureDirectSend(app.asgi_handler)
    return app


def app_from_env() -> Litestar:
    """Factory for `uvicorn --factory app.asgi:app_from_env`."""
    return create_app()
