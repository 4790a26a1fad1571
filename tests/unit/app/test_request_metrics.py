"""The HTTP request metrics keep the names and labels the alert rules and dashboards read
(`app.http.request_metrics`), recorded by the outer layer instead of a middleware per route."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

from app.http.request_metrics import IN_FLIGHT, record


def _sample(name: str, path: str, status: str) -> float:
    labels = {"method": "GET", "path": path, "status_code": status, "app_name": "washline"}
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_request_is_counted_under_its_route_template() -> None:
    scope: dict[str, Any] = {"method": "GET", "path_template": "/unit/{n:int}"}
    before = _sample("washline_requests_total", "/unit/{n:int}", "200")
    record(scope, 200, 0.004)
    record(scope, 200, 0.004)
    assert _sample("washline_requests_total", "/unit/{n:int}", "200") == before + 2
    assert _sample("washline_request_duration_seconds_count", "/unit/{n:int}", "200") >= 2


def test_server_errors_are_counted_as_errors_too() -> None:
    scope: dict[str, Any] = {"method": "GET", "path_template": "/unit/fails"}
    record(scope, 503, 0.01)
    record(scope, 0, 0.01)  # no answer at all: the server failed
    assert _sample("washline_requests_error_total", "/unit/fails", "503") == 1
    assert _sample("washline_requests_error_total", "/unit/fails", "500") == 1


def test_a_path_no_route_matched_is_not_counted() -> None:
    record({"method": "GET", "path": "/no/such/route"}, 404, 0.001)
    paths = {
        sample.labels.get("path")
        for metric in REGISTRY.collect()
        if metric.name == "washline_requests"
        for sample in metric.samples
    }
    assert "/no/such/route" not in paths


def test_requests_in_progress_counts_routed_requests_in_flight() -> None:
    scope: dict[str, Any] = {"method": "GET", "path": "/unit/slow"}
    IN_FLIGHT.start(scope)
    scope["path_template"] = "/unit/slow"  # the router has run
    assert _sample("washline_requests_in_progress", "/unit/slow", "200") == 1
    IN_FLIGHT.end(scope)
    assert _sample("washline_requests_in_progress", "/unit/slow", "200") == 0
