"""Trace context on the live path: carried between processes, never shown to clients, and
nothing at all when tracing is off."""

from __future__ import annotations

import msgspec
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from realtime.envelope import Envelope
from realtime.tracing import current_traceparent, delivery_span, parent_context

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_the_trace_context_crosses_the_broker_but_not_to_clients() -> None:
    sent = Envelope.create("order:1", "3", "order.status", {"to": "assigned"}, trace=TRACEPARENT)
    received = Envelope.from_body("order:1", "3", sent.body())
    assert received.trace == TRACEPARENT
    assert "trace" not in msgspec.json.decode(received.ws_frame)
    assert "trace" not in msgspec.json.decode(received.sse_data.encode())


def test_an_untraced_event_has_the_body_it_always_had() -> None:
    envelope = Envelope.create("order:1", "3", "e", {}, ts="2026-01-01T00:00:00.000000Z")
    assert envelope.body() == b'{"event":"e","ts":"2026-01-01T00:00:00.000000Z","data":{}}'
    assert Envelope.from_body("order:1", "3", envelope.body()).trace is None


def test_without_a_tracer_or_a_context_nothing_is_recorded() -> None:
    provider = TracerProvider()
    tracer = provider.get_tracer("t")
    assert current_traceparent() is None
    assert delivery_span(None, "ops", TRACEPARENT, 3) is None
    assert delivery_span(tracer, "ops", None, 3) is None
    assert parent_context("garbage") is None


def test_a_delivery_span_is_a_child_of_the_publish() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("publish") as publish:
        traceparent = current_traceparent()
    span = delivery_span(tracer, "ops", traceparent, 2)
    assert span is not None
    span.end()
    (delivered,) = [s for s in exporter.get_finished_spans() if s.name == "live deliver"]
    assert delivered.parent is not None
    assert delivered.parent.span_id == publish.get_span_context().span_id
    assert delivered.context is not None
    assert delivered.context.trace_id == publish.get_span_context().trace_id


def test_log_lines_inside_a_span_carry_its_ids() -> None:
    from app.logs import add_trace_ids

    tracer = TracerProvider().get_tracer("t")
    assert add_trace_ids(None, "info", {"event": "outside"}) == {"event": "outside"}
    with tracer.start_as_current_span("job") as span:
        line = add_trace_ids(None, "info", {"event": "inside"})
    context = span.get_span_context()
    assert line["trace_id"] == f"{context.trace_id:032x}"
    assert line["span_id"] == f"{context.span_id:016x}"
