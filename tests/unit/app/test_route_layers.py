"""Each per-route layer is mounted on the routes it applies to and on no other
(`app.http.route_layers`), once per app however many apps the process builds."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar, get
from litestar.exceptions import ImproperlyConfiguredException
from litestar.middleware.rate_limit import RateLimitMiddleware
from litestar.routes import HTTPRoute

from app.asgi import create_app
from app.http.idempotency import IdempotencyMiddleware
from app.http.route_layers import RouteLayers
from app.settings import Settings


def _layers(app: Litestar) -> dict[tuple[str, str], list[str]]:
    """(method, path) -> the names of the route's own layers (authentication left out)."""
    found: dict[tuple[str, str], list[str]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            names = []
            for layer in handler.resolve_middleware():
                if isinstance(layer, IdempotencyMiddleware):
                    names.append("idempotency")
                elif getattr(layer, "middleware", None) is RateLimitMiddleware:
                    names.append("rate limit")
            for method in handler.http_methods:
                found[(method, route.path)] = names
    return found


@pytest.fixture(scope="module")
def layers() -> dict[tuple[str, str], list[str]]:
    create_app(Settings())  # a second app must not add the layers twice
    return _layers(create_app(Settings()))


def test_the_hot_reads_pass_through_no_layer(layers: dict[tuple[str, str], list[str]]) -> None:
    for path in ("/api/orders/{order_id:int}", "/api/orders", "/health", "/metrics"):
        assert layers[("GET", path)] == [], path


def test_auth_routes_are_rate_limited(layers: dict[tuple[str, str], list[str]]) -> None:
    for path in ("/api/auth/login", "/api/auth/register", "/api/auth/mfa"):
        assert layers[("POST", path)] == ["rate limit"], path
    assert layers[("POST", "/api/auth/refresh")] == []


def test_share_routes_have_their_limit(layers: dict[tuple[str, str], list[str]]) -> None:
    for path in ("/api/share/{token:str}", "/api/share/{token:str}/events", "/track/{token:str}"):
        assert layers[("GET", path)] == ["rate limit"], path


def test_idempotent_routes_take_keys(layers: dict[tuple[str, str], list[str]]) -> None:
    assert layers[("POST", "/api/orders")] == ["idempotency"]
    assert layers[("POST", "/api/orders/{order_id:int}/messages")] == ["idempotency"]
    marked = {key for key, names in layers.items() if "idempotency" in names}
    assert all(method == "POST" for method, _ in marked)


def test_a_bare_handler_cannot_take_a_layer() -> None:
    """Shared by every app of the process: a layer put on it would leak into the next app."""

    @get("/api/auth/login", sync_to_thread=False)
    def login() -> None:
        return None

    layer: Any = object()
    plugin = RouteLayers(login_limit=layer, share_limit=layer, idempotency=layer)
    with pytest.raises(ImproperlyConfiguredException):
        Litestar(route_handlers=[login], plugins=[plugin])
