"""Prometheus metrics of the live core (default registry, ``washline_realtime_`` prefix).

Counters are incremented once per event per process or once per subscriber delivery; none
of them is labelled by channel, which would grow without bound with open orders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily

_NS = "washline_realtime"

CONNECTIONS = Gauge("connections", "Open live connections.", ["transport"], namespace=_NS)
SUBSCRIPTIONS = Gauge("subscriptions", "Active (subscriber, channel) pairs.", namespace=_NS)
EVENTS_PUBLISHED = Counter("events_published", "Events published by this process.", namespace=_NS)


class LoopCounter:
    """A counter for the hottest path, touched only from the event loop's thread: a plain
    int, collected when scraped. A `prometheus_client.Counter` takes a mutex on every
    ``inc``; once per delivery that was 12 % of the server's time in a broadcast profile
    (docs/benchmarks.md, "Live fan-out: inline writes")."""

    __slots__ = ("documentation", "name", "value")

    def __init__(self, name: str, documentation: str) -> None:
        self.name = name
        self.documentation = documentation
        self.value = 0

    def inc(self, amount: int = 1) -> None:
        self.value += amount

    def collect(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(self.name, self.documentation, value=self.value)


EVENTS_DELIVERED = LoopCounter(
    f"{_NS}_events_delivered", "Events written or queued to a local subscriber."
)
REGISTRY.register(EVENTS_DELIVERED)
EVENTS_COALESCED = Counter(
    "events_coalesced",
    "Lossy events replaced by a newer one before they were sent.",
    namespace=_NS,
)
EVENTS_DROPPED = Counter(
    "events_dropped",
    "Lossy events dropped because a subscriber's queue was full.",
    namespace=_NS,
)
SLOW_CONSUMER_DISCONNECTS = Counter(
    "slow_consumer_disconnects",
    "Subscribers closed because a reliable queue overflowed.",
    namespace=_NS,
)
RESUMES = Counter("resumes", "Subscriptions resumed from a position.", namespace=_NS)
RESETS = Counter("resets", "Resets sent because history could not cover a position.", namespace=_NS)
FALLBACK_READS = Counter(
    "fallback_reads",
    "Resumes served from the database because history could not.",
    namespace=_NS,
)
BROKER_RECONNECTS = Counter("broker_reconnects", "Pub/sub reconnections.", namespace=_NS)
DELIVERY_LATENCY = Histogram(
    "delivery_latency_seconds",
    "From an event's timestamp to its fan-out to this process's subscribers.",
    namespace=_NS,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def _asyncio_task_count() -> float:
    """Tasks alive in the event loop: a leak of per-connection or per-request tasks shows
    here long before it shows in memory. NaN when collected outside the loop's thread."""
    try:
        return float(len(asyncio.all_tasks()))
    except RuntimeError:
        return float("nan")


ASYNCIO_TASKS = Gauge("asyncio_tasks", "Tasks alive in the event loop.", namespace=_NS)
ASYNCIO_TASKS.set_function(_asyncio_task_count)
