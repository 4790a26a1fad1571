"""Operations: health and readiness, the OpenAPI document, metrics, request ids, rate limits."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.settings import Settings
from tests.support.api import ApiUser, expect
from tests.support.api import test_settings as settings_for

Client = AsyncTestClient[Litestar]
RATE_LIMIT_NAMESPACE = "washline-ratelimit"
BODY_METHODS = {"POST", "PUT", "PATCH"}


# --- health and readiness ----------------------------------------------------------------


async def test_health_answers_without_authentication(api: Client) -> None:
    assert expect(await api.get("/health"), 200) == {"status": "ok"}


async def test_ready_reports_the_database_check(api: Client) -> None:
    body = expect(await api.get("/ready"), 200)
    assert body == {"status": "ready", "checks": {"database": "ok"}}


async def test_ready_checks_redis_when_it_is_configured(settings: Settings, redis_url: str) -> None:
    app = create_app(settings_for(settings.database_url, redis_url=redis_url))
    async with AsyncTestClient(app=app) as client:
        body = expect(await client.get("/ready"), 200)
    assert body["checks"] == {"database": "ok", "redis": "ok"}


async def test_ready_is_degraded_but_200_when_only_redis_is_down(settings: Settings) -> None:
    """The process serves REST without Redis: it stays in the Service, saying what is down."""
    app = create_app(settings_for(settings.database_url, redis_url="redis://127.0.0.1:1/0"))
    async with AsyncTestClient(app=app) as client:
        body = expect(await client.get("/ready"), 200)
    assert (body["status"], body["code"]) == ("degraded", "degraded")
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("down")
    assert "redis" in body["message"]


# --- OpenAPI -----------------------------------------------------------------------------


def api_operations(app: Litestar) -> list[tuple[str, str]]:
    """(OpenAPI path, method) of every /api route the application serves."""
    operations = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            operations.append((path, method))
    return operations


def bodyless_operations(app: Litestar) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of the writes that take no body (e.g. making a share link)."""
    found = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for method, (handler, _) in route.route_handler_map.items():
            if "data" not in handler.parsed_fn_signature.parameters:
                found.add((path, method))
    return found


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.removeprefix("#/components/schemas/")
    assert name in document["components"]["schemas"], f"dangling {ref}"
    return document["components"]["schemas"][name]  # type: ignore[no-any-return]


async def test_openapi_documents_every_api_operation_with_its_schemas(
    api: Client, app: Litestar
) -> None:
    document = expect(await api.get("/schema/openapi.json"), 200)
    operations = api_operations(app)
    bodyless = bodyless_operations(app)
    assert len(operations) >= 30
    for path, method in operations:
        operation = document["paths"].get(path, {}).get(method.lower())
        assert operation is not None, f"{method} {path} is not documented"
        if method in BODY_METHODS and (path, method) not in bodyless:
            body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
            assert resolve(document, body_schema), f"{method} {path} has no request schema"
        success = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
        assert success, f"{method} {path} documents no success response"
        for code, response in success.items():
            if code == "204" or "live" in operation.get("tags", []):
                continue  # no body, or a text/event-stream rather than a JSON document
            schema = response["content"]["application/json"]["schema"]
            assert resolve(document, schema), f"{method} {path} {code} has no schema"


async def test_openapi_declares_bearer_authentication(api: Client) -> None:
    document = expect(await api.get("/schema/openapi.json"), 200)
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    assert document["info"]["title"] == "Washline"


async def test_openapi_request_schemas_carry_the_field_limits(api: Client) -> None:
    document = expect(await api.get("/schema/openapi.json"), 200)
    order_in = document["components"]["schemas"]["OrderIn"]
    assert order_in["properties"]["lat"]["maximum"] == 90
    assert order_in["properties"]["address"]["maxLength"] == 300
    assert set(order_in["required"]) == {"vehicle_id", "package_id", "address", "lat", "lng"}


async def test_openapi_describes_the_error_body_clients_actually_get(api: Client) -> None:
    document = expect(await api.get("/schema/openapi.json"), 200)
    bad_request = document["paths"]["/api/orders"]["post"]["responses"]["400"]
    schema = resolve(document, bad_request["content"]["application/json"]["schema"])
    assert {"code", "message"} <= set(schema["properties"])


# --- metrics -----------------------------------------------------------------------------


async def test_metrics_expose_request_counts_in_prometheus_text(
    api: Client, customer_a: ApiUser
) -> None:
    expect(await api.get("/api/me", headers=customer_a.headers), 200)
    response = await api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE washline_requests_total counter" in text
    counted = [
        line
        for line in text.splitlines()
        if line.startswith("washline_requests_total{") and 'path="/api/me"' in line
    ]
    assert counted, text
    assert float(counted[0].rsplit(" ", 1)[1]) >= 1


# --- request ids -------------------------------------------------------------------------


GENERATED_ID = re.compile(r"[0-9a-f]{32}")


async def test_responses_carry_a_generated_request_id(api: Client, customer_a: ApiUser) -> None:
    responses = [
        await api.get("/health"),
        await api.get("/api/me", headers=customer_a.headers),
        await api.get("/api/orders/424242", headers=customer_a.headers),  # 404 from a handler
        await api.get("/api/orders?limit=0", headers=customer_a.headers),  # 400 validation
    ]
    ids = [r.headers.get("x-request-id", "") for r in responses]
    assert all(GENERATED_ID.fullmatch(i) for i in ids), ids
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("path", "status"), [("/api/me", 401), ("/api/no-such-route", 404)], ids=["401", "404"]
)
async def test_early_error_responses_carry_a_request_id(
    api: Client, path: str, status: int
) -> None:
    response = await api.get(path, headers={"X-Request-ID": "support-ticket-42"})
    assert response.status_code == status
    assert response.headers.get("x-request-id") == "support-ticket-42"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/me", 401), ("/api/no-such-route", 404), ("/health", 200)],
    ids=["401", "404", "200"],
)
async def test_every_request_gets_one_access_log_line(
    settings: Settings, capsys: pytest.CaptureFixture[str], path: str, status: int
) -> None:
    app = create_app(settings_for(settings.database_url, log_level="INFO"))
    async with AsyncTestClient(app=app) as client:
        await client.get(path, headers={"X-Request-ID": "support-ticket-43"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line[:1] == "{"]
    access = [line for line in lines if line.get("request_id") == "support-ticket-43"]
    assert [(a["event"], a["method"], a["path"], a["status"]) for a in access] == [
        ("request", "GET", path, status)
    ], lines


async def test_a_sane_incoming_request_id_is_echoed(api: Client) -> None:
    response = await api.get("/health", headers={"X-Request-ID": "mobile-7.2_abc.123"})
    assert response.headers["x-request-id"] == "mobile-7.2_abc.123"


@pytest.mark.parametrize(
    "incoming",
    ["has space", "x" * 65, "semi;colon", "<script>", 'quo"te', ""],
    ids=["space", "too-long", "semicolon", "markup", "quote", "empty"],
)
async def test_an_insane_incoming_request_id_is_replaced(api: Client, incoming: str) -> None:
    response = await api.get(
        "/health", headers={"X-Request-ID": incoming.encode().decode("latin-1")}
    )
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


# --- rate limiting -----------------------------------------------------------------------


def login_body(n: int) -> dict[str, str]:
    return {"email": f"guess{n}@example.test", "password": "not-the-password"}


async def spend_login_attempts(client: Client, count: int) -> None:
    for n in range(count):
        expect(await client.post("/api/auth/login", json=login_body(n)), 401)


@pytest.fixture
async def rate_limit_redis_url(redis_url: str) -> AsyncIterator[str]:
    """`redis_url` with no rate-limit counters left over from an earlier test or run."""

    async def forget_counters() -> None:
        client = aioredis.from_url(redis_url)
        keys = [key async for key in client.scan_iter(f"{RATE_LIMIT_NAMESPACE}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()

    await forget_counters()
    yield redis_url
    await forget_counters()


async def test_the_fourth_login_in_a_minute_is_rate_limited(settings: Settings) -> None:
    app = create_app(settings_for(settings.database_url, auth_rate_limit_per_minute=3))
    async with AsyncTestClient(app=app) as client:
        await spend_login_attempts(client, 3)
        response = await client.post("/api/auth/login", json=login_body(4))
        body = expect(response, 429)
    assert body["code"] == "rate_limited"
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-limit"] == "3"


async def test_registration_shares_the_login_budget(settings: Settings) -> None:
    app = create_app(settings_for(settings.database_url, auth_rate_limit_per_minute=3))
    async with AsyncTestClient(app=app) as client:
        await spend_login_attempts(client, 3)
        body = {"email": "new@example.test", "password": "long-enough-pw", "full_name": "New"}
        assert expect(await client.post("/api/auth/register", json=body), 429)["code"] == (
            "rate_limited"
        )


async def test_only_login_and_registration_are_rate_limited(
    settings: Settings, customer_a: ApiUser
) -> None:
    app = create_app(settings_for(settings.database_url, auth_rate_limit_per_minute=3))
    async with AsyncTestClient(app=app) as client:
        await spend_login_attempts(client, 3)
        for _ in range(5):
            expect(await client.get("/health"), 200)
            expect(await client.get("/api/packages"), 200)
            expect(await client.get("/api/me", headers=customer_a.headers), 200)
        refresh = {"refresh_token": customer_a.refresh_token}
        expect(await client.post("/api/auth/refresh", json=refresh), 200)


async def test_the_memory_store_counts_per_process(settings: Settings) -> None:
    limited = settings_for(settings.database_url, auth_rate_limit_per_minute=3)
    async with AsyncTestClient(app=create_app(limited)) as first:
        await spend_login_attempts(first, 3)
        expect(await first.post("/api/auth/login", json=login_body(4)), 429)
    async with AsyncTestClient(app=create_app(limited)) as second:
        expect(await second.post("/api/auth/login", json=login_body(5)), 401)


async def test_the_redis_store_shares_one_budget_between_processes(
    settings: Settings, rate_limit_redis_url: str
) -> None:
    limited = settings_for(
        settings.database_url, auth_rate_limit_per_minute=3, redis_url=rate_limit_redis_url
    )
    async with (
        AsyncTestClient(app=create_app(limited)) as first,
        AsyncTestClient(app=create_app(limited)) as second,
    ):
        await spend_login_attempts(first, 2)
        await spend_login_attempts(second, 1)
        body = expect(await second.post("/api/auth/login", json=login_body(4)), 429)
        assert body["code"] == "rate_limited"
        expect(await first.post("/api/auth/login", json=login_body(5)), 429)

    client = aioredis.from_url(rate_limit_redis_url)
    keys = [key async for key in client.scan_iter(f"{RATE_LIMIT_NAMESPACE}*")]
    await client.aclose()
    assert keys, "the rate-limit counter should live in Redis"
