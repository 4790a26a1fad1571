"""The manifests point at routes the app really serves."""

from __future__ import annotations

import pytest

from app.asgi import create_app
from app.settings import Settings

from .manifests import KUSTOMIZATIONS, all_of, deployment, render, server_container

INTERNAL = {"/health", "/ready", "/metrics"}
LOCAL_ONLY = {"/"}
"""The API index, for whoever started a server by hand; behind the gateway the site's root is
the gateway's to serve, and routing `/` as a prefix would expose the internal routes."""


@pytest.fixture(scope="module")
def route_paths() -> set[str]:
    return {route.path for route in create_app(Settings()).routes}


def _public_prefixes(name: str) -> set[str]:
    docs = render(name)
    prefixes = set()
    for route in all_of(docs, "HTTPRoute"):
        for rule in route["spec"]["rules"]:
            prefixes |= {match["path"]["value"] for match in rule.get("matches", [])}
    for ingress in all_of(docs, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            prefixes |= {path["path"] for path in rule["http"]["paths"]}
    return prefixes


@pytest.mark.parametrize("name", list(KUSTOMIZATIONS))
def test_probes_hit_existing_routes(name: str, route_paths: set[str]) -> None:
    container = server_container(render(name))
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        path = container[probe]["httpGet"]["path"]
        assert path in route_paths, f"{probe} uses {path}, which the app does not serve"


@pytest.mark.parametrize("name", list(KUSTOMIZATIONS))
def test_scraped_metrics_path_exists(name: str, route_paths: set[str]) -> None:
    annotations = deployment(render(name))["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] in route_paths


@pytest.mark.parametrize("name", list(KUSTOMIZATIONS))
def test_every_public_route_is_reachable_through_the_gateway(
    name: str, route_paths: set[str]
) -> None:
    prefixes = _public_prefixes(name)
    assert prefixes, f"{name} exposes nothing"
    unreachable = sorted(
        path
        for path in route_paths - INTERNAL - LOCAL_ONLY
        if not any(
            path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in prefixes
        )
    )
    assert not unreachable, f"routes the gateway does not forward: {unreachable}"
    exposed_internal = sorted(
        path for path in INTERNAL if any(path.startswith(prefix) for prefix in prefixes)
    )
    assert not exposed_internal, f"internal routes exposed publicly: {exposed_internal}"
