"""Running the app under uvicorn with an orderly drain on SIGTERM.

uvicorn's own SIGTERM handling stops accepting connections at once and then waits for open
ones, which leaves WebSockets and SSE streams (that never finish on their own) to be cut at
the graceful-shutdown timeout, and never lets `/ready` say 503. Washline drains first:
readiness turns 503, WebSockets close with 1012 and SSE streams end so clients reconnect to
another pod and resume; after `DRAIN_DELAY_SECONDS` uvicorn's normal shutdown follows, letting
in-flight HTTP requests complete within `SHUTDOWN_GRACE_SECONDS`. A second signal skips ahead.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from types import FrameType
from typing import Any

import uvicorn

from app.collector import settle_after_start
from app.http_protocol import http_protocol
from app.lifecycle import drain_all, open_database_pools
from app.settings import Settings
from app.ws_protocol import BoundedWebSocketProtocol

log = logging.getLogger("washline.server")


def raise_open_file_limit() -> None:
    """Every connection is a file descriptor: use the hard limit, not the default 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class DrainingServer(uvicorn.Server):
    """uvicorn's server with a drain before its shutdown.

    uvicorn offers no public hook for what a signal does: `Server.serve` installs its own
    method `handle_exit` for SIGINT and SIGTERM, which stops accepting at once and remembers
    the signal to re-raise it once stopped (sse-starlette, on import, wraps that method to
    end its streams at once; the override skips that too, since the drain ends them in
    order). Overriding that method is the one way in; what the override relies on (its
    name and signature, that `capture_signals` installs it, that it runs instead of
    uvicorn's) is pinned by `tests/unit/app/test_server_signals.py`, so an upstream change
    fails there rather than in a deploy.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        drain_delay: float,
        *,
        settle_collector: bool = False,
        open_pool: bool = False,
    ) -> None:
        super().__init__(config)
        self._drain_delay = drain_delay
        self._settle_collector = settle_collector
        self._open_pool = open_pool
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_task: asyncio.Task[None] | None = None

    async def serve(self, sockets: list[object] | None = None) -> None:  # type: ignore[override]
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)  # type: ignore[arg-type]

    async def startup(self, sockets: list[Any] | None = None) -> None:
        """Once the app has started and listens, when asked (by `serve`, whose process is
        the server's alone, not by a server started inside another process, a test's): its
        database pool is opened in full (`DATABASE_POOL_OPEN_AT_START`), then its start-up
        heap is settled for the collector (`app.collector`)."""
        await super().startup(sockets)
        if self._open_pool and not self.should_exit:
            await open_database_pools()
        if self._settle_collector and not self.should_exit:
            settle_after_start()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """The first signal starts the drain (in the event loop: this runs in a signal
        handler); before the loop runs, uvicorn's own handling stands."""
        if self._loop is None:
            super().handle_exit(sig, frame)
            return
        if self._drain_task is not None:
            # A second signal skips the rest of the drain delay (a third: no grace).
            if self.should_exit:
                self.force_exit = True
            self.should_exit = True
            return
        log.info("signal %s: draining live connections", sig)
        self._loop.call_soon_threadsafe(self._start_drain)

    def _start_drain(self) -> None:
        if self._drain_task is None:
            self._drain_task = asyncio.ensure_future(self._drain_then_exit())

    async def _drain_then_exit(self) -> None:
        """Drain, wait, then shut down as uvicorn does, but without uvicorn re-raising the
        signal once it has stopped: that would turn a clean exit (status 0) into a death by
        SIGTERM."""
        try:
            await drain_all()
            await asyncio.sleep(self._drain_delay)
        finally:
            self.should_exit = True


def uvicorn_config(
    settings: Settings, host: str, port: int, app: Any = "app.asgi:app_from_env"
) -> uvicorn.Config:
    """How Washline is served. The client address (which the login rate limit counts) comes
    from `X-Forwarded-For` only when the connecting peer is one of `TRUSTED_PROXIES`, and
    then it is the rightmost address no trusted proxy added; with none configured the header
    is ignored, since any client can write it."""
    trusted = list(settings.trusted_proxies)
    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        host=host,
        port=port,
        http=http_protocol(settings.http_header_timeout_seconds),
        ws=BoundedWebSocketProtocol,
        ws_max_size=settings.ws_max_frame_bytes,
        ws_per_message_deflate=settings.ws_permessage_deflate,
        ws_ping_interval=settings.heartbeat_seconds,
        ws_ping_timeout=settings.heartbeat_seconds,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        log_config=None,
        access_log=False,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )


def serve(settings: Settings, host: str, port: int) -> None:
    raise_open_file_limit()
    config = uvicorn_config(settings, host, port)
    DrainingServer(
        config,
        settings.drain_delay_seconds,
        settle_collector=True,
        open_pool=settings.database_pool_open_at_start,
    ).run()
