"""A JSON body nested too deeply to decode is a 400 `json_too_deep` on every JSON route.

The decoder gives up near the interpreter's recursion limit with a `RecursionError`, which
answered 500 (with a traceback logged per request), on public routes too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from app.http.content_types import takes_json_body
from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]

DEPTH = 5_000
DEEP_ARRAY = b"[" * DEPTH + b"]" * DEPTH
DEEP_OBJECT = b'{"a":' * DEPTH + b"1" + b"}" * DEPTH
JSON = {"content-type": "application/json"}


def json_routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path) of every handler that decodes a JSON body, path ids filled with 1."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if takes_json_body(handler):
                path = re.sub(r"\{[^}]+\}", "1", route.path)
                found.extend((method, path) for method in sorted(handler.http_methods))
    return found


def test_the_api_has_json_routes_public_and_private(app: Litestar) -> None:
    """Guards the sweep below against finding nothing."""
    routes = json_routes(app)
    assert ("POST", "/api/auth/login") in routes
    assert ("POST", "/api/orders/1/messages") in routes


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
async def test_every_json_route_refuses_a_too_deep_body_with_400(
    api: Client,
    app: Litestar,
    customer_a: ApiUser,
    washer: ApiUser,
    admin: ApiUser,
    body: bytes,
) -> None:
    callers: list[dict[str, str]] = [{}, customer_a.headers, washer.headers, admin.headers]
    answers: dict[tuple[str, str], list[Any]] = {}
    for method, path in json_routes(app):
        for headers in callers:
            response = await api.request(method, path, content=body, headers={**headers, **JSON})
            assert response.status_code < 500, (method, path, response.text)
            answers.setdefault((method, path), []).append(response)
    for route, responses in answers.items():
        decoded = [r for r in responses if r.status_code == 400]
        assert decoded, (route, [r.status_code for r in responses])
        for response in decoded:
            error = expect(response, 400)
            assert error["code"] == "json_too_deep", (route, error)
            assert error["message"]


async def test_a_too_deep_body_before_authentication_is_400(api: Client) -> None:
    for path in ("/api/auth/register", "/api/auth/login", "/api/auth/refresh"):
        response = await api.post(path, content=DEEP_OBJECT, headers=JSON)
        assert expect(response, 400)["code"] == "json_too_deep", path


async def test_a_body_nested_a_little_is_still_decoded(api: Client, customer_a: ApiUser) -> None:
    """Only depth the decoder cannot manage is refused: a normal nested body is a plain
    validation error about its fields."""
    body = b'{"make": [[[[["VW"]]]]], "model": "Golf", "plate": "B-1", "size": "small"}'
    response = await api.post("/api/vehicles", content=body, headers={**customer_a.headers, **JSON})
    assert expect(response, 400)["code"] == "validation_error"
