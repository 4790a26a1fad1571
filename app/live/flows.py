"""The live flows of the business, wired once per process: location pipeline, dispatch,
chat limits. Built on the runtime's hub and database; started and stopped with the app."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

from litestar.exceptions import NotAuthorizedException

from app.http.errors import DATABASE_UNAVAILABLE
from app.lifecycle import Runtime
from app.live.access import DatabaseOrderFacts
from app.live.ops import LiveOps
from app.principal import Principal, principal_from_token, with_second_factor_rule
from app.security import decode_access_token
from app.services.chat import ChatRateLimiter
from app.settings import Settings
from app.workers.dispatcher import Dispatcher
from app.workers.location_adapters import BatchedTrackSink, CachedActiveJobs, arrival_handler
from app.workers.surge import SurgeComputer
from domain.channels import OPS
from domain.location import FixLimits
from persistence.database import DATABASE_RETRY_AFTER_SECONDS, database_outage, is_sqlite
from realtime.broker import BrokerUnavailable
from realtime.fix_writer import FixWriter, RedisFixWriter
from realtime.geo_index import GeoIndex, MemoryGeoIndex, RedisGeoIndex
from realtime.location_pipeline import LocationPipeline
from realtime.redis_broker import RedisBroker
from realtime.session_context import Outage, SessionContext, SessionLimits

if TYPE_CHECKING:
    pass


def verify_live_token(token: str, settings: Settings) -> Principal | None:
    """The principal of a token sent on a live socket (`auth` op), or None if invalid."""
    try:
        principal = principal_from_token(decode_access_token(token, settings))
    except NotAuthorizedException:
        return None
    return with_second_factor_rule(principal, settings) if principal is not None else None


class LiveFlows:
    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self._broker = runtime.broker
        broker = runtime.broker
        writer: FixWriter | None = None
        if isinstance(broker, RedisBroker):
            geo = RedisGeoIndex(broker.client)
            writer = RedisFixWriter(broker, geo)  # geo index + track: one round trip a fix
            self.geo: GeoIndex = geo
        else:
            self.geo = MemoryGeoIndex()
        self.jobs = CachedActiveJobs(runtime.session_factory)
        self.track_sink = BatchedTrackSink(runtime.session_factory)
        self.pipeline = LocationPipeline(
            runtime.hub,
            self.geo,
            self.jobs,
            self.track_sink,
            arrival_handler(runtime.session_factory),
            limits=FixLimits(area=settings.service_area),
            geofence_radius_m=settings.geofence_radius_m,
            writer=writer,
        )
        self.dispatcher = Dispatcher(
            runtime.session_factory,
            self.geo,
            uses_advisory_lock=not is_sqlite(settings.database_url),
            interval=settings.dispatch_interval_seconds,
        )
        self.surge = SurgeComputer(
            runtime.session_factory,
            self.geo,
            runtime.hub,
            rules=settings.surge_rules,
            area=settings.service_area,
            resolution=settings.surge_zone_resolution,
            demand_window=timedelta(minutes=settings.surge_demand_window_minutes),
            timezone=settings.business_timezone,
            uses_advisory_lock=not is_sqlite(settings.database_url),
            interval=settings.surge_interval_seconds,
        )
        self.chat_limiter = ChatRateLimiter()
        ops = LiveOps(runtime.session_factory, runtime.hub, self.pipeline, self.chat_limiter)
        self.session_context = SessionContext(
            hub=runtime.hub,
            presence=runtime.presence,
            facts=DatabaseOrderFacts(runtime.session_factory),
            sessions=runtime.sessions,
            limits=SessionLimits(
                max_queue=settings.outbound_queue_size,
                max_subscriptions=settings.ws_max_subscriptions,
                ops_per_second=settings.ws_ops_per_second,
                max_frame_bytes=settings.ws_max_frame_bytes,
            ),
            verify_token=lambda token: verify_live_token(token, settings),
            op_handlers=ops.handlers(),
            outage=Outage(database_outage, DATABASE_UNAVAILABLE, DATABASE_RETRY_AFTER_SECONDS),
        )

    async def start(self) -> None:
        self.track_sink.start()
        self.pipeline.start()
        self.dispatcher.start()
        self.surge.start()
        # Order events on `ops` make cached active jobs stale in every process.
        with contextlib.suppress(BrokerUnavailable):
            await self._broker.listen(OPS.name, self.jobs.on_ops_event)

    async def stop(self) -> None:
        with contextlib.suppress(BrokerUnavailable):
            await self._broker.unlisten(OPS.name, self.jobs.on_ops_event)
        await self.surge.stop()
        await self.dispatcher.stop()
        await self.pipeline.stop()
        await self.track_sink.stop()
