"""Trace context on the live path: from the commit of an event to its delivery.

An event's trace context (W3C ``traceparent``) travels inside the envelope's body through
Redis, never to clients. Each process that fans the event out to its local subscribers
records one span per delivery batch, a child of the publish; never a span per socket.

Everything here is a no-op without a tracer: when tracing is off, `current_traceparent`
finds no valid span and returns ``None``, and the hub starts no span.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    """The ``traceparent`` of the span current in this task, or ``None`` when there is none
    (tracing off, or outside any traced request or job)."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def parent_context(traceparent: str | None) -> Context | None:
    """The context to start a child span of a stored ``traceparent`` in (``None`` when
    absent or malformed: the span then starts a trace of its own)."""
    if not traceparent:
        return None
    context = _propagator.extract({"traceparent": traceparent})
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    return context


def delivery_span(
    tracer: Tracer | None, channel: str, traceparent: str | None, subscribers: int
) -> Span | None:
    """A started span for handing one event to this process's ``subscribers`` of
    ``channel``, or ``None`` when tracing is off or the event carries no trace context.
    The caller ends it once the batch was queued."""
    if tracer is None or traceparent is None:
        return None
    return tracer.start_span(
        "live deliver",
        context=parent_context(traceparent),
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "washline",
            "messaging.operation.type": "process",
            "messaging.destination.name": channel,
            "messaging.batch.message_count": subscribers,
        },
    )
