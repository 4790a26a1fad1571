"""Prometheus metrics of the live core (default registry, ``washline_realtime_`` prefix).

Counters are incremented once per event per process or once per subscriber delivery; none
of them is labelled by channel, which would grow without bound with open orders.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

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


class LoopHistogram:
    """A histogram observed once per event fanned out, from the event loop's thread only:
    plain ints per bucket, made cumulative when scraped. `prometheus_client.Histogram`
    takes a mutex and walks every bucket on each ``observe``; with one event per channel
    that was a visible share of the fan-out's cost (docs/benchmarks.md, "Live path speed").
    The exposition (``_bucket``, ``_count``, ``_sum``) is the same."""

    __slots__ = ("_counts", "_upper", "documentation", "name", "sum")

    def __init__(self, name: str, documentation: str, buckets: Sequence[float]) -> None:
        self.name = name
        self.documentation = documentation
        self._upper = tuple(sorted(buckets))
        self._counts = [0] * (len(self._upper) + 1)  # the last one is +Inf
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self._counts[bisect_left(self._upper, value)] += 1
        self.sum += value

    @property
    def count(self) -> int:
        return sum(self._counts)

    def collect(self) -> Iterator[HistogramMetricFamily]:
        cumulative, buckets = 0, []
        for bound, count in zip((*self._upper, float("inf")), self._counts, strict=True):
            cumulative += count
            buckets.append((_bound_text(bound), cumulative))
        yield HistogramMetricFamily(
            self.name, self.documentation, buckets=buckets, sum_value=self.sum
        )


def _bound_text(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))


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
DELIVERY_LATENCY = LoopHistogram(
    f"{_NS}_delivery_latency_seconds",
    "From an event's timestamp to its fan-out to this process's subscribers.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
REGISTRY.register(DELIVERY_LATENCY)


def _asyncio_task_count() -> float:
    """Tasks alive in the event loop: a leak of per-connection or per-request tasks shows
    here long before it shows in memory. NaN when collected outside the loop's thread."""
    try:
        return float(len(asyncio.all_tasks()))
    except RuntimeError:
        return float("nan")


ASYNCIO_TASKS = Gauge("asyncio_tasks", "Tasks alive in the event loop.", namespace=_NS)
ASYNCIO_TASKS.set_function(_asyncio_task_count)
