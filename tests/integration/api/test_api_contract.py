"""The OpenAPI document tells the truth (`app.http.answers`, `app.http.openapi`): each operation
declares the errors its guards and refusals give, the real media types and its own security;
and driving every operation as every kind of caller gets only statuses and codes it declares."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.http.auth import AUTH_OPTIONAL, RoleGuard
from app.settings import Settings
from tests.support.api import ApiUser, expect
from tests.support.api import test_settings as settings_for

Client = AsyncTestClient[Litestar]
METHODS = ("get", "put", "post", "patch", "delete")
PUBLIC = [
    ("post", "/api/auth/login"),
    ("post", "/api/auth/register"),
    ("post", "/api/auth/refresh"),
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/metrics"),
    ("get", "/api/share/{token}"),
    ("get", "/api/share/{token}/events"),
]
ANONYMOUS_ALLOWED = [("get", "/api/packages"), ("get", "/api/packages/{package_id}"), ("get", "/")]
EVENT_STREAMS = [
    "/api/orders/{order_id}/events",
    "/api/me/events",
    "/api/admin/stream",
    "/api/share/{token}/events",
    "/api/admin/audit/events",
]
ABSENT_ID = "987654321"


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


def handlers(app: Litestar) -> dict[tuple[str, str], Any]:
    """(method, OpenAPI path) -> the route handler serving it."""
    found = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, _) in route.route_handler_map.items():
                found[(method.lower(), route.path_format)] = handler
    return found


async def test_the_document_lists_security_once_and_only_where_a_token_is_needed(
    api: Client,
) -> None:
    document = expect(await api.get("/schema/openapi.json"), 200)
    assert "security" not in document
    assert list(document["components"]["securitySchemes"]) == ["BearerToken"]
    for method, path in PUBLIC:
        operation = document["paths"][path][method]
        assert "security" not in operation, f"{method} {path} is public"
        assert "401" not in operation["responses"] or path == "/api/auth/login" or "refresh" in path
    for method, path in ANONYMOUS_ALLOWED:
        assert document["paths"][path][method]["security"] == [{}, {"BearerToken": []}]
    protected = [
        (method, path)
        for method, path, op in operations(document)
        if path.startswith("/api/")
        and not path.startswith("/api/auth/")
        and (method, path) not in ANONYMOUS_ALLOWED
        and (method, path) not in PUBLIC
    ]
    assert len(protected) >= 40
    for method, path in protected:
        operation = document["paths"][path][method]
        assert operation["security"] == [{"BearerToken": []}], f"{method} {path}"
        assert "unauthorized" in operation["responses"]["401"]["description"]


async def test_each_operation_declares_what_its_guards_and_inputs_imply(
    api: Client, app: Litestar
) -> None:
    document = expect(await api.get("/schema/openapi.json"), 200)
    served = handlers(app)
    for method, path, operation in operations(document):
        handler = served[(method, path)]
        declared = operation["responses"]
        guards = [getattr(g, "func", g) for g in handler.resolve_guards()]
        where = f"{method.upper()} {path}"
        if any(isinstance(guard, RoleGuard) for guard in guards):
            assert "`forbidden`" in declared["403"]["description"], where
        if "{" in path:
            assert "`not_found`" in declared["404"]["description"], where
            assert "`validation_error`" in declared["400"]["description"], where
        if operation.get("requestBody"):
            assert "415" in declared and "`malformed_json`" in declared["400"]["description"]
        for status in declared:
            if status[0] in "45":
                body = declared[status]["content"]["application/json"]["schema"]
                assert body["$ref"] == "#/components/schemas/ErrorBody", where
        for status, required in (("429", True), ("503", False)):
            if status in declared:
                header = declared[status]["headers"]["Retry-After"]
                assert header["required"] is required and header["schema"]["type"] == "integer"
        if handler.opt.get(AUTH_OPTIONAL):
            assert declared["401"]["description"].startswith("`unauthorized`")


async def test_named_refusals_are_declared_at_their_status(api: Client) -> None:
    document = expect(await api.get("/schema/openapi.json"), 200)
    paths = document["paths"]

    def codes(path: str, method: str, status: str) -> str:
        return str(paths[path][method]["responses"][status]["description"])

    assert "`already_reviewed`" in codes("/api/orders/{order_id}/review", "post", "409")
    assert "`order_not_completed`" in codes("/api/orders/{order_id}/review", "post", "409")
    assert "`offer_unavailable`" in codes("/api/offers/{offer_id}/accept", "post", "409")
    assert "`track_unavailable`" in codes("/api/orders/{order_id}/track", "get", "403")
    assert "`too_many_open_orders`" in codes("/api/orders", "post", "409")
    assert "`rate_limited`" in codes("/api/auth/login", "post", "429")
    assert "`rate_limited`" in codes("/api/orders/{order_id}/messages", "post", "429")
    assert "`database_unavailable`" in codes("/api/orders", "get", "503")
    assert "`idempotency_key_reused`" in codes("/api/orders", "post", "422")
    assert "`too_many_connections`" in codes("/api/me/events", "get", "429")
    assert "`not_ready`" in codes("/ready", "get", "503")


async def test_event_streams_and_metrics_declare_their_real_media_types(api: Client) -> None:
    document = expect(await api.get("/schema/openapi.json"), 200)
    for path in EVENT_STREAMS:
        assert list(document["paths"][path]["get"]["responses"]["200"]["content"]) == [
            "text/event-stream"
        ]
    metrics = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain"]
    served = await api.get("/metrics")
    assert served.headers["content-type"].startswith("text/plain")


async def test_event_streams_declare_how_to_send_the_token_and_resume(api: Client) -> None:
    """An EventSource can send neither `Authorization` nor, on a new stream, `Last-Event-ID`:
    the streams say where the token and the position go instead."""
    document = expect(await api.get("/schema/openapi.json"), 200)
    resumable = [p for p in [*EVENT_STREAMS, "/api/pricing/stream"] if "/share/" not in p]
    for path in resumable:
        declared = {
            (p["name"], p["in"]): p for p in document["paths"][path]["get"].get("parameters", [])
        }
        for name, where in (
            ("token", "query"),
            ("Last-Event-ID", "header"),
            ("last_event_id", "query"),
        ):
            assert (name, where) in declared, (path, name)
            assert declared[name, where]["required"] is False
            assert declared[name, where]["schema"]["type"] == "string"
    share = document["paths"]["/api/share/{token}/events"]["get"].get("parameters", [])
    assert {(p["name"], p["in"]) for p in share} == {("token", "path")}


def _declares(operation: dict[str, Any], status: int, body: Any) -> bool:
    response = operation["responses"].get(str(status))
    if response is None:
        return False
    if status >= 400:
        code = body.get("code") if isinstance(body, dict) else None
        return code is not None and f"`{code}`" in response["description"]
    return True


async def test_driving_every_operation_as_every_caller_gets_only_what_is_declared(
    api: Client,
    customer_a: ApiUser,
    washer: ApiUser,
    admin: ApiUser,
) -> None:
    """Every operation, as anonymous, a customer, a washer and an admin, with an absent id
    and an empty JSON body: each answer's status, and its `code`, must be declared; no 5xx.
    (Event streams are only asked without a token: a served one never ends.)"""
    document = expect(await api.get("/schema/openapi.json"), 200)
    callers: list[dict[str, str]] = [{}, customer_a.headers, washer.headers, admin.headers]
    undeclared = []
    driven = 0
    seen: set[int] = set()
    for method, path, operation in operations(document):
        if not path.startswith("/api/"):
            continue
        url = re.sub(r"\{\w+\}", ABSENT_ID, path)
        streams = path in EVENT_STREAMS
        for headers in callers[:1] if streams else callers:
            body = {"json": {}} if method in ("post", "put", "patch") else {}
            response = await api.request(method.upper(), url, headers=headers, **body)
            driven += 1
            seen.add(response.status_code)
            payload = response.json() if response.content else None
            if not _declares(operation, response.status_code, payload):  # a 500 never is
                undeclared.append((method, path, response.status_code, payload))
    assert driven >= 150
    assert {200, 400, 401, 403, 404} <= seen  # the drive reaches past the guards
    assert undeclared == []


async def test_a_real_429_is_declared_with_its_retry_after(settings: Settings) -> None:
    app = create_app(settings_for(settings.database_url, auth_rate_limit_per_minute=1))
    body = {"email": "nobody@example.test", "password": "not-the-password"}
    async with AsyncTestClient(app=app) as client:
        document = expect(await client.get("/schema/openapi.json"), 200)
        expect(await client.post("/api/auth/login", json=body), 401)
        throttled = await client.post("/api/auth/login", json=body)
    declared = document["paths"]["/api/auth/login"]["post"]["responses"]["429"]
    assert throttled.status_code == 429
    assert f"`{throttled.json()['code']}`" in declared["description"]
    assert "Retry-After" in declared["headers"] and int(throttled.headers["retry-after"]) >= 1
