"""OpenTelemetry tracing of one process: HTTP and WebSocket requests (Litestar's plugin),
SQL (SQLAlchemy), Redis, and the live path (`realtime.tracing`).

Off unless asked for (``WASHLINE_TRACING=on``, or ``auto`` with an OTLP endpoint in the
standard ``OTEL_EXPORTER_OTLP_*`` variables). Off means nothing is installed: no middleware,
no SQL or Redis hooks, no spans; the only code left on the hot path is a check that finds
no current span (measured in docs/benchmarks.md).

Each application gets its own `TracerProvider` instead of the process-global one, so tests
can run two applications with their own exporters, and shutting one down flushes only it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping

from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import get_meter
from opentelemetry.sdk.resources import SERVICE_INSTANCE_ID, SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import Tracer
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.logs import bind_trace_id
from app.settings import Settings

_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
# Probes and scrapes would be most of the spans and tell nothing.
_UNTRACED_PATHS = ["^/health", "^/ready", "^/metrics"]


def tracing_wanted(settings: Settings, environ: Mapping[str, str]) -> bool:
    """Whether this process traces: ``on``, or ``auto`` with an OTLP endpoint configured;
    never when ``OTEL_SDK_DISABLED`` is true (the standard switch)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if settings.tracing == "auto":
        return any(environ.get(name) for name in _ENDPOINT_VARIABLES)
    return settings.tracing == "on"


class Tracing:
    """The tracer provider of one application and what it instruments; `off()` is inert."""

    def __init__(self, provider: TracerProvider | None) -> None:
        self.provider = provider
        self.tracer: Tracer | None = (
            provider.get_tracer("washline") if provider is not None else None
        )

    @classmethod
    def off(cls) -> Tracing:
        return cls(None)

    @classmethod
    def with_exporter(
        cls, exporter: SpanExporter, settings: Settings, *, batch: bool = True
    ) -> Tracing:
        """Spans to ``exporter``, batched in the background (tests pass an in-memory
        exporter, unbatched, to read each span as soon as it ends)."""
        provider = TracerProvider(resource=_resource(settings))
        processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
        provider.add_span_processor(processor)
        return cls(provider)

    @classmethod
    def from_env(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> Tracing:
        """OTLP over HTTP, configured by the standard ``OTEL_*`` variables, when wanted."""
        if not tracing_wanted(settings, os.environ if environ is None else environ):
            return cls.off()
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return cls.with_exporter(OTLPSpanExporter(), settings)

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """A span per SQL statement of this engine (and no other)."""
        if self.tracer is None:
            return
        usage = get_meter("washline").create_up_down_counter("db.client.connections.usage")
        EngineTracer(self.tracer, engine.sync_engine, usage)

    def instrument_redis(self, client: Redis | None) -> None:
        """A span per Redis command of this client (and no other)."""
        if self.provider is None or client is None:
            return
        RedisInstrumentor.instrument_client(client, tracer_provider=self.provider)

    def plugins(self) -> list[OpenTelemetryPlugin]:
        """Litestar's own OpenTelemetry plugin: a server span per HTTP request and
        WebSocket connection, with the route as its name."""
        if self.provider is None:
            return []
        config = OpenTelemetryConfig(
            tracer_provider=self.provider,
            exclude=_UNTRACED_PATHS,
            exclude_spans=["receive", "send"],
            server_request_hook_handler=bind_trace_id,
        )
        return [OpenTelemetryPlugin(config)]

    def shutdown(self) -> None:
        """Flush and stop the exporter (at application shutdown)."""
        if self.provider is not None:
            self.provider.shutdown()


def _resource(settings: Settings) -> Resource:
    """``service.name`` from ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES`` when set,
    else ``washline``; a fresh ``service.instance.id`` per process."""
    detected = Resource.create({SERVICE_INSTANCE_ID: uuid.uuid4().hex[:12]})
    if detected.attributes.get(SERVICE_NAME, "unknown_service") == "unknown_service":
        detected = detected.merge(Resource({SERVICE_NAME: "washline"}))
    return detected.merge(Resource({"deployment.environment.name": settings.environment}))
