"""The process-wide runtime: engine, broker, hub, outbox relay, presence and the draining flag.

One `Runtime` per application instance, built by the composition root (`app.bootstrap`),
which starts it before and closes it after everything that runs on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.http.share_limits import StreamSlots
from app.live.history import DatabaseHistory
from app.session_access import SessionAccess
from app.settings import Settings
from app.shutdown import bounded
from app.tracing import Tracing
from app.workers.relay import OutboxRelay
from domain.channels import OPS
from persistence.database import create_engine, create_session_factory, is_sqlite, open_pool
from realtime.broker import Broker, BrokerUnavailable
from realtime.close_codes import SERVICE_RESTART
from realtime.control import with_control
from realtime.hub import Hub
from realtime.memory_broker import MemoryBroker
from realtime.presence import MemoryPresence, PresenceStore, PresenceTracker
from realtime.redis_broker import RedisBroker
from realtime.redis_presence import RedisPresence
from realtime.sessions import LiveSessions

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)
_live_runtimes: set[Runtime] = set()


def _build_broker(settings: Settings) -> Broker:
    if settings.uses_redis:
        return RedisBroker(
            settings.redis_url,
            history_size=settings.history_size,
            history_ttl=float(settings.history_ttl_seconds),
            classify=with_control(),
        )
    return MemoryBroker(
        history_size=settings.history_size,
        history_ttl=float(settings.history_ttl_seconds),
        classify=with_control(),
    )


class Runtime:
    def __init__(self, settings: Settings, tracing: Tracing | None = None) -> None:
        self.settings = settings
        self.tracing = tracing or Tracing.off()
        self.engine: AsyncEngine = create_engine(
            settings.database_url, pool_size=settings.database_pool_size
        )
        self.tracing.instrument_engine(self.engine)
        self.session_factory: async_sessionmaker[AsyncSession] = create_session_factory(self.engine)
        self.broker = _build_broker(settings)
        # One Redis client (and pool, with its retry after a Redis restart) for the process:
        # the broker's. Presence and the geo index borrow it; the broker closes it.
        self.redis: aioredis.Redis | None = (
            self.broker.client if isinstance(self.broker, RedisBroker) else None
        )
        self.tracing.instrument_redis(self.redis)
        self.hub = Hub(
            self.broker,
            fallback=DatabaseHistory(self.session_factory),
            tracer=self.tracing.tracer,
        )
        store: PresenceStore = (
            RedisPresence(self.redis) if self.redis is not None else MemoryPresence()
        )
        self.presence = PresenceTracker(store, ttl=float(settings.presence_ttl_seconds))
        self.relay = OutboxRelay(
            self.session_factory,
            self.broker,
            uses_advisory_lock=not is_sqlite(settings.database_url),
            tracer=self.tracing.tracer,
        )
        self.draining = False
        self.sessions = LiveSessions(
            max_per_user=settings.live_max_connections_per_user,
            max_per_address=settings.live_max_connections_per_address,
        )
        self.access = SessionAccess(
            self.session_factory,
            self.broker,
            self.sessions,
            token_lifetime=settings.access_token_ttl_seconds,
        )
        """Whether a token's session still holds, and ending sessions in every process."""
        self.share_streams = StreamSlots(settings.share_max_streams_per_address)
        """Open share-link streams per client address, in this process (`app.http.share_limits`)."""
        self.drained = asyncio.Event()

    async def start(self) -> None:
        await self.hub.start()
        self.sessions.start()
        # Order events on `ops` carry the facts live access depends on: every process
        # re-decides its own sessions' access from them.
        with contextlib.suppress(BrokerUnavailable):
            await self.broker.listen(OPS.name, self.sessions.on_ops_event)
        await self.access.start()
        self.relay.start()
        await self.presence.start()
        _live_runtimes.add(self)

    async def ping_redis(self) -> None:
        if self.redis is None:
            return
        await self.redis.ping()

    async def begin_drain(self) -> None:
        """SIGTERM: stop being ready, close WebSockets with 1012 and end SSE streams, so
        clients reconnect elsewhere and resume; in-flight HTTP requests finish normally."""
        if self.draining:
            return
        self.draining = True
        await self.sessions.end_all(SERVICE_RESTART, "server restarting")
        self.drained.set()

    async def close(self) -> None:
        _live_runtimes.discard(self)
        await bounded("drain", self.begin_drain)
        await bounded("presence", self.presence.stop)
        await bounded("relay", self.relay.stop)
        await bounded("access", self.access.stop)
        await bounded("sessions", self.sessions.stop)
        await bounded("hub", self.hub.close)
        await bounded("database pool", self.engine.dispose)
        self.tracing.shutdown()


async def open_database_pools() -> None:
    """Open every runtime's database pool now (`persistence.database.open_pool`); with the
    database away the pools open lazily later, as they would without this."""
    for runtime in list(_live_runtimes):
        try:
            opened = await open_pool(runtime.engine)
        except Exception as exc:
            log.warning("database pool not opened at start (%s); it opens on demand", exc)
        else:
            if opened:
                log.info("database pool open: %d connections", opened)


async def drain_all() -> None:
    """Begin draining every runtime of this process (called from the signal handler)."""
    for runtime in list(_live_runtimes):
        with contextlib.suppress(Exception):
            await runtime.begin_drain()
