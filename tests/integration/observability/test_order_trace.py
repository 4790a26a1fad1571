"""One order followed through its trace: the HTTP request that commits it, the SQL it ran,
the relay's publish from the outbox, the Redis call, and the delivery to a WebSocket
subscriber on a second application, all in one trace.

Two applications in this process play two pods: they share the database and Redis, and
each has its own tracer provider and in-memory exporter, as two pods have their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from app.asgi import build_app
from app.bootstrap import Washline
from app.tracing import Tracing
from domain.roles import Role
from persistence.migrate import upgrade
from tests.support.api import login
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.in_process import serve_in_process
from tests.support.journey import book_order
from tests.support.live import live_client
from tests.support.polling import poll_until

pytestmark = pytest.mark.redis


class Pod:
    def __init__(self, address: str, exporter: InMemorySpanExporter) -> None:
        self.address = address
        self.exporter = exporter

    def spans(self) -> Sequence[ReadableSpan]:
        return self.exporter.get_finished_spans()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'trace.db'}"
    upgrade(url)
    return url


@pytest.fixture
async def pods(database_url: str, clean_redis_url: str) -> AsyncIterator[tuple[Pod, Pod]]:
    settings = settings_for(
        database_url, redis_url=clean_redis_url, probe_interval_seconds=0, log_level="INFO"
    )
    async with AsyncExitStack() as stack:
        started = []
        for _ in range(2):
            exporter = InMemorySpanExporter()
            tracing = Tracing.with_exporter(exporter, settings, batch=False)
            app = build_app(Washline(settings, tracing=tracing))
            address = await stack.enter_async_context(serve_in_process(app))
            started.append(Pod(address, exporter))
        await add_user(settings, "cleo@example.test", Role.CUSTOMER, "Cleo")
        await add_user(settings, "ada@example.test", Role.ADMIN, "Ada")
        yield started[0], started[1]


def _order_request(spans: Sequence[ReadableSpan]) -> ReadableSpan:
    (span,) = [
        s
        for s in spans
        if s.kind is SpanKind.SERVER
        and s.attributes is not None
        and s.attributes.get("http.route") == "POST /api/orders"
    ]
    return span


def _in_trace(spans: Sequence[ReadableSpan], trace_id: int) -> list[ReadableSpan]:
    return [s for s in spans if s.context is not None and s.context.trace_id == trace_id]


async def test_an_order_is_traced_from_its_request_to_the_delivery_on_another_pod(
    pods: tuple[Pod, Pod], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = pods
    async with (
        httpx.AsyncClient(base_url=f"http://{first.address}", timeout=10) as api,
    ):
        customer = await login(api, "cleo@example.test", PASSWORD)
        admin = await login(api, "ada@example.test", PASSWORD)
        async with live_client(f"ws://{second.address}/ws", admin.access_token) as watcher:
            await watcher.subscribe("ops")
            order = await book_order(api, api, customer.headers, admin.headers)
            await watcher.wait_events("ops", 1)

        request = _order_request(first.spans())
        assert request.context is not None
        trace_id = request.context.trace_id

        def delivered() -> list[ReadableSpan]:
            return [
                s
                for s in _in_trace(second.spans(), trace_id)
                if s.name == "live deliver"
                and s.attributes is not None
                and s.attributes.get("messaging.destination.name") == "ops"
            ]

        async def fetch() -> list[ReadableSpan]:
            return delivered()

        deliveries = await poll_until(fetch, bool)
    everywhere = [*first.spans(), *second.spans()]
    publishes = [
        s
        for s in _in_trace(everywhere, trace_id)
        if s.name == "outbox publish" and s.kind is SpanKind.PRODUCER
    ]
    assert publishes, "the relay's publish joined the request's trace"
    assert {p.parent.span_id for p in publishes if p.parent} <= {
        s.context.span_id for s in _in_trace(everywhere, trace_id) if s.context
    }
    assert deliveries[0].parent is not None
    assert deliveries[0].parent.span_id in {p.context.span_id for p in publishes if p.context}
    assert deliveries[0].attributes is not None
    assert deliveries[0].attributes["messaging.batch.message_count"] >= 1
    traced = _in_trace(everywhere, trace_id)
    sql = [s for s in traced if s.attributes and s.attributes.get("db.system") == "sqlite"]
    assert any("INSERT INTO outbox_event" in str(s.attributes.get("db.statement")) for s in sql)
    redis_calls = [s for s in traced if s.attributes and s.attributes.get("db.system") == "redis"]
    assert redis_calls, "the relay's Redis publish is in the trace"
    assert order["status"] == "pending"
    logged = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    (access,) = [
        line
        for line in logged
        if line.get("event") == "request"
        and line.get("path") == "/api/orders"
        and line.get("method") == "POST"
    ]
    assert access["trace_id"] == f"{trace_id:032x}"
