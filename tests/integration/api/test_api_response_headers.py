"""Every answer says `X-Content-Type-Options: nosniff`; JSON for an authenticated caller
also says `Cache-Control: no-store`, so one user's data stays out of shared caches."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser

Client = AsyncTestClient[Litestar]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/api/packages", 200),
        ("GET", "/api/orders", 401),
        ("GET", "/api/no-such-route", 404),
        ("POST", "/api/auth/login", 400),
    ],
)
async def test_every_answer_says_nosniff(api: Client, method: str, path: str, status: int) -> None:
    response = await api.request(method, path)
    assert response.status_code == status, response.text
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/me", 200), ("/api/orders", 200), ("/api/orders/987654", 404), ("/api/washers", 403)],
)
async def test_json_for_an_authenticated_caller_is_not_stored(
    api: Client, customer_a: ApiUser, path: str, status: int
) -> None:
    response = await api.get(path, headers=customer_a.headers)
    assert response.status_code == status, response.text
    assert response.headers.get_list("cache-control") == ["no-store"]
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]


async def test_tokens_from_the_auth_routes_are_not_stored(api: Client, customer_a: ApiUser) -> None:
    """Refreshing is public, but what it answers is the caller's own tokens."""
    response = await api.post("/api/auth/refresh", json={"refresh_token": customer_a.refresh_token})
    assert response.status_code == 200, response.text
    assert response.headers.get_list("cache-control") == ["no-store"]


async def test_public_json_for_an_anonymous_caller_may_be_cached(api: Client) -> None:
    response = await api.get("/api/packages")
    assert "cache-control" not in response.headers


async def test_authenticated_json_on_a_public_route_is_not_stored(
    api: Client, customer_a: ApiUser, package: dict[str, Any]
) -> None:
    response = await api.get(f"/api/packages/{package['id']}", headers=customer_a.headers)
    assert response.status_code == 200, response.text
    assert response.headers.get_list("cache-control") == ["no-store"]
