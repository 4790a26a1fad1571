"""Prometheus request metrics, recorded by the outermost layer (`app.logs.RequestIdMiddleware`)
instead of a middleware around every route.

The names, labels and buckets are those Litestar's `PrometheusMiddleware` gave them (the alert
rules and dashboards in `k8s/components/monitoring` read them): `washline_requests_total`,
`washline_request_duration_seconds`, `washline_requests_error_total` (5xx) and
`washline_requests_in_progress`, labelled `method`, `path` (the route's template), `status_code`
and `app_name`. Litestar's middleware built a `Request`, a wrapped `send` and four label
look-ups per request, 4.5 % of a saturated server's samples; here the outer layer, which
already times each request and sees its status, records them with one cached look-up.

Every HTTP request that reached a route is counted, including the answers layers inside the
route made without running its handler (401 from authentication, 429 from a rate limit); a
path no route matched (404) is not, as before, so that scanners cannot grow the series. HTTP
only: a socket is no request, its lifetime would swamp the latency histogram.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

APP_NAME = "washline"
LABELS = ("method", "path", "status_code", "app_name")

REQUESTS = Counter("washline_requests_total", "Total requests", LABELS)
DURATION = Histogram("washline_request_duration_seconds", "Request duration, in seconds", LABELS)
ERRORS = Counter("washline_requests_error_total", "Total errors in requests", LABELS)

_children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}
"""(method, path, status) -> its counter, histogram and (5xx only) error counter children:
`labels()` takes a lock and builds a key on every call."""


def record(scope: Any, status: int, seconds: float) -> None:
    """Count one finished HTTP request (nothing for one no route matched)."""
    path = scope.get("path_template")
    if path is None:
        return
    key = (scope["method"], path, status or 500)
    children = _children.get(key)
    if children is None:
        values = (*map(str, key), APP_NAME)
        error = ERRORS.labels(*values) if key[2] >= 500 else None
        children = (REQUESTS.labels(*values), DURATION.labels(*values), error)
        _children[key] = children
    children[0].inc()
    children[1].observe(seconds)
    if children[2] is not None:
        children[2].inc()


class InFlight(Collector):
    """`washline_requests_in_progress`, counted at scrape time from the requests in flight:
    a request's route (its `path` label) is known only once the router has run, inside the
    layer that starts and ends it."""

    def __init__(self) -> None:
        self._scopes: dict[int, Any] = {}
        self._seen: set[tuple[str, str]] = set()

    def start(self, scope: Any) -> None:
        self._scopes[id(scope)] = scope

    def end(self, scope: Any) -> None:
        self._scopes.pop(id(scope), None)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = dict.fromkeys(self._seen, 0)
        for scope in list(self._scopes.values()):
            path = scope.get("path_template")
            if path is not None:
                key = (scope["method"], path)
                counts[key] = counts.get(key, 0) + 1
        self._seen.update(counts)
        family = GaugeMetricFamily(
            "washline_requests_in_progress", "Total requests currently in progress", labels=LABELS
        )
        for (method, path), count in sorted(counts.items()):
            family.add_metric([method, path, "200", APP_NAME], count)
        yield family


IN_FLIGHT = InFlight()
REGISTRY.register(IN_FLIGHT)
