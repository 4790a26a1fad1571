"""Prometheus metrics behind the service level objectives (default registry, ``washline_``).

The live core's own counters are in `realtime.metrics`; these are the application's: the
outbox relay, dispatch, the delivery probe and whether the stores answer. The recording and
alerting rules that read them are in ``k8s/components/monitoring``.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OUTBOX_LAG = Gauge(
    "washline_outbox_lag_seconds",
    "Age of the oldest unpublished outbox row at this process's last relay pass (0 when the "
    "outbox is drained or another process holds the relay lock): alert on the max over pods.",
)
OUTBOX_PUBLISHED = Counter(
    "washline_outbox_published", "Outbox rows the relay of this process handed to the broker."
)
TIME_TO_ASSIGN = Histogram(
    "washline_dispatch_time_to_assign_seconds",
    "From an order's creation to the first washer taking it.",
    buckets=(5, 15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600),
)
ORDERS_CREATED = Counter("washline_orders_created", "Orders booked through this process.")
ORDER_TRANSITIONS = Counter(
    "washline_order_transitions",
    "Order status changes made through this process, by the status reached.",
    ["to"],
)
PROBE_SENT = Counter("washline_probe_sent", "Delivery probes this process published.")
PROBE_RECEIVED = Counter(
    "washline_probe_received", "Delivery probes this process received, from any process."
)
PROBE_LOST = Counter(
    "washline_probe_lost",
    "Delivery probes that never arrived here: gaps in a sender's probe sequence.",
)
PROBE_LATENCY = Histogram(
    "washline_probe_latency_seconds",
    "From a probe's publish on one process to its arrival on this one (any pair of pods).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
PROBE_LAST_RECEIVED = Gauge(
    "washline_probe_last_received_timestamp_seconds",
    "Unix time the last probe arrived here: silence is a delivery outage.",
)
DEPENDENCY_UP = Gauge(
    "washline_dependency_up",
    "1 when the store answered this process's last check, 0 when it did not.",
    ["dependency"],
)
ACCESS_ENDS_READ = Gauge(
    "washline_access_ends_last_read_timestamp_seconds",
    "Unix time this process last read the recorded ends of sessions and accounts: while it "
    "cannot, an end whose control event it missed goes unrefused here.",
)
ACCESS_ENDS_HELD = Gauge(
    "washline_access_ends_held",
    "Ended sessions and accounts this process refuses tokens of (the last token lifetime's).",
)
