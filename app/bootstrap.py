"""The composition root: every long-lived part of one Washline application is built here,
once, and reaches handlers through Litestar's dependency injection, never `app.state`.

`Washline` holds the parts (the runtime: database, broker, hub, presence, relay and live
sessions; the live flows: location pipeline, dispatcher, chat limits, the live session
context; the KPI service) and starts and stops them in order. `WashlinePlugin` registers
Washline's routes, its dependency providers and that lifespan on the Litestar app.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.plugins import InitPluginProtocol
from litestar.plugins.prometheus import PrometheusController
from litestar.types import ControllerRouterHandler

from app.asyncapi import asyncapi_document
from app.dashboard.routes import DASHBOARD_ROUTES
from app.http.api_docs import docs_asset
from app.http.controllers.accounts import AuthController, MeController, UsersController
from app.http.controllers.admin import AdminController
from app.http.controllers.admin_console import AdminConsoleController
from app.http.controllers.audit import AuditController
from app.http.controllers.catalog import PackageController, VehicleController
from app.http.controllers.chat import ChatController
from app.http.controllers.health import health, ready
from app.http.controllers.location import WasherLiveController
from app.http.controllers.mfa import MfaController, MfaLoginController
from app.http.controllers.notifications import NotificationController
from app.http.controllers.offers import OfferController
from app.http.controllers.orders import OrderController
from app.http.controllers.pricing import QuoteController, ZoneAdminController, pricing_stream
from app.http.controllers.privacy import MyDataController, UserDataController
from app.http.controllers.root import root
from app.http.controllers.sessions import MySessionsController, UserSessionsController
from app.http.controllers.shares import OrderShareController, ShareController
from app.http.controllers.washers import WasherController
from app.http.reads import READS, provide_reads, read_session_factory
from app.lifecycle import Runtime
from app.live.flows import LiveFlows
from app.live.presence import channel_presence, washers_online
from app.live.sse import admin_stream, audit_events, my_events, order_events
from app.live.ws import live_socket
from app.mfa_secrets import seal_stored_secrets, secret_box
from app.sdk.routes import SDK_ROUTES
from app.settings import Settings
from app.shutdown import bounded
from app.tracing import Tracing
from app.track.routes import TRACK_ROUTES
from app.workers.heartbeat import Heartbeat
from app.workers.kpis import KpiService
from app.workers.retention import RetentionPurge, retention_policy
from persistence.database import database_outage, is_sqlite

log = logging.getLogger(__name__)

ROUTE_HANDLERS: list[ControllerRouterHandler] = [
    root,
    docs_asset,
    asyncapi_document,
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
    OfferController,
    AdminController,
    AdminConsoleController,
    AuditController,
    MySessionsController,
    MfaController,
    MfaLoginController,
    MyDataController,
    UserDataController,
    UserSessionsController,
    live_socket,
    order_events,
    my_events,
    admin_stream,
    audit_events,
    QuoteController,
    ZoneAdminController,
    pricing_stream,
    channel_presence,
    washers_online,
    *DASHBOARD_ROUTES,
    *SDK_ROUTES,
    *TRACK_ROUTES,
    OrderShareController,
    ShareController,
]


class Washline:
    """The parts of one application instance, built in dependency order."""

    def __init__(self, settings: Settings, tracing: Tracing | None = None) -> None:
        self.settings = settings
        self.tracing = tracing if tracing is not None else Tracing.from_env(settings)
        self.runtime = Runtime(settings, self.tracing)
        self.flows = LiveFlows(self.runtime)
        self.kpis = KpiService(self.runtime)
        self.retention = RetentionPurge(
            self.runtime.session_factory,
            retention_policy(settings),
            uses_advisory_lock=not is_sqlite(settings.database_url),
            interval=settings.retention_interval_seconds,
        )
        self.heartbeat = Heartbeat(self.runtime, settings.probe_interval_seconds)

    @asynccontextmanager
    async def lifespan(self, _app: Litestar) -> AsyncIterator[None]:
        """Start the runtime, then what runs on it; stop in the reverse order."""
        async with contextlib.AsyncExitStack() as stack:
            await self.runtime.start()
            stack.push_async_callback(self.runtime.close)
            await self._seal_mfa_secrets()
            await self.flows.start()
            stack.push_async_callback(bounded, "live flows", self.flows.stop)
            await self.kpis.start()
            stack.push_async_callback(bounded, "kpis", self.kpis.stop)
            self.retention.start()
            stack.push_async_callback(bounded, "retention", self.retention.stop)
            await self.heartbeat.start()
            stack.push_async_callback(bounded, "heartbeat", self.heartbeat.stop)
            yield

    async def _seal_mfa_secrets(self) -> None:
        """Authenticator secrets stored in the clear (before they were sealed) are sealed
        now; with the database away the process starts anyway and the next start does it."""
        try:
            await seal_stored_secrets(self.runtime.session_factory, secret_box(self.settings))
        except Exception as exc:
            if not database_outage(exc):
                raise
            log.warning("authenticator secrets not sealed: the database is away")

    def dependencies(self) -> dict[str, Provide]:
        """What handlers may ask for by name."""
        parts: dict[str, Any] = {
            "settings": self.settings,
            "runtime": self.runtime,
            "hub": self.runtime.hub,
            "flows": self.flows,
            "kpis": self.kpis,
            "session_context": self.flows.session_context,
            "session_access": self.runtime.access,
        }
        provided = {
            name: Provide(_constant(part), use_cache=True, sync_to_thread=False)
            for name, part in parts.items()
        }
        provided[READS] = provide_reads(read_session_factory(self.runtime.engine))
        return provided


def _constant(part: Any) -> Callable[[], Any]:
    def provide() -> Any:
        return part

    return provide


class WashlinePlugin(InitPluginProtocol):
    """Registers Washline's routes, dependency providers and lifespan on the app."""

    def __init__(self, washline: Washline) -> None:
        self.washline = washline

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend(ROUTE_HANDLERS)
        app_config.dependencies.update(self.washline.dependencies())
        app_config.lifespan.append(self.washline.lifespan)
        return app_config
