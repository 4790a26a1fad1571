"""Bad input: every refusal is JSON with a stable code, and validation errors name the field.

Rows are (caller, method, path, body) with `{vehicle}`, `{package}`, `{order}`, `{washer}`
standing for the id of customer A's vehicle, a package, A's pending order and a washer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.security import ALGORITHM
from app.settings import Settings
from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]

GOLF = {"make": "Volkswagen", "model": "Golf", "plate": "B-WL-3", "size": "small"}
BOOKING = {"vehicle_id": "{vehicle}", "package_id": "{package}", "address": "1 Elm Row"}
BOOKING |= {"lat": 52.5, "lng": 13.4}
REGISTER = {"email": "new@example.test", "password": "long-enough-pw", "full_name": "New"}
PACKAGE = {"name": "Ceramic coat", "base_price_cents": 12000, "duration_minutes": 120}


@pytest.fixture
async def ids(
    vehicle_a: dict[str, Any], order_a: dict[str, Any], washer: ApiUser
) -> dict[str, int]:
    return {
        "vehicle": vehicle_a["id"],
        "package": order_a["package_id"],
        "order": order_a["id"],
        "washer": washer.id,
    }


@pytest.fixture
def as_user(customer_a: ApiUser, washer: ApiUser, admin: ApiUser) -> dict[str, ApiUser]:
    return {"customer": customer_a, "washer": washer, "admin": admin}


def fill(template: Any, ids: dict[str, int]) -> Any:
    if isinstance(template, dict):
        return {key: fill(value, ids) for key, value in template.items()}
    if isinstance(template, str):
        for name, value in ids.items():
            if template == f"{{{name}}}":
                return value
            template = template.replace(f"{{{name}}}", str(value))
    return template


async def send(
    api: Client, user: ApiUser, method: str, path: str, body: Any, ids: dict[str, int]
) -> Any:
    kwargs: dict[str, Any] = {} if body is None else {"json": fill(body, ids)}
    return await api.request(method, fill(path, ids), headers=user.headers, **kwargs)


def assert_invalid(response: Any, field: str) -> dict[str, Any]:
    body = expect(response, 400)
    assert body["code"] == "validation_error", body
    assert field in [e["field"] for e in body["errors"]], body
    assert body["message"]
    return body  # type: ignore[no-any-return]


# --- wrong types, out of range, oversize -------------------------------------------------

# (caller, method, path, body, field named in the error)
INVALID_BODIES = {
    "lat 91": ("customer", "POST", "/api/orders", {**BOOKING, "lat": 91}, "lat"),
    "lat -90.5": ("customer", "POST", "/api/orders", {**BOOKING, "lat": -90.5}, "lat"),
    "lng -181": ("customer", "POST", "/api/orders", {**BOOKING, "lng": -181}, "lng"),
    "lng 180.01": ("customer", "POST", "/api/orders", {**BOOKING, "lng": 180.01}, "lng"),
    "lat as text": ("customer", "POST", "/api/orders", {**BOOKING, "lat": "north"}, "lat"),
    "address 301 chars": (
        "customer", "POST", "/api/orders", {**BOOKING, "address": "a" * 301}, "address",
    ),
    "address 2 chars": ("customer", "POST", "/api/orders", {**BOOKING, "address": "ab"}, "address"),
    "notes 501 chars": (
        "customer", "POST", "/api/orders", {**BOOKING, "notes": "n" * 501}, "notes",
    ),
    "vehicle id as text": (
        "customer", "POST", "/api/orders", {**BOOKING, "vehicle_id": "one"}, "vehicle_id",
    ),
    "vehicle id 0": ("customer", "POST", "/api/orders", {**BOOKING, "vehicle_id": 0}, "vehicle_id"),
    "package id negative": (
        "customer", "POST", "/api/orders", {**BOOKING, "package_id": -3}, "package_id",
    ),
    "package id huge": (
        "customer", "POST", "/api/orders", {**BOOKING, "package_id": 2**63}, "package_id",
    ),
    "schedule not a date": (
        "customer", "POST", "/api/orders", {**BOOKING, "scheduled_for": "tomorrow"},
        "scheduled_for",
    ),
    "unknown status": (
        "customer", "POST", "/api/orders/{order}/transitions", {"to": "teleported"}, "to",
    ),
    "reason 501 chars": (
        "customer", "POST", "/api/orders/{order}/transitions",
        {"to": "cancelled", "reason": "r" * 501}, "reason",
    ),
    "expected version 0": (
        "customer", "POST", "/api/orders/{order}/transitions",
        {"to": "cancelled", "expected_version": 0}, "expected_version",
    ),
    "washer id as text": (
        "admin", "POST", "/api/orders/{order}/transitions",
        {"to": "assigned", "washer_id": "walt"}, "washer_id",
    ),
    "stars as text": ("customer", "POST", "/api/orders/{order}/review", {"stars": "five"}, "stars"),
    "stars 4.5": ("customer", "POST", "/api/orders/{order}/review", {"stars": 4.5}, "stars"),
    "comment 2001 chars": (
        "customer", "POST", "/api/orders/{order}/review", {"stars": 5, "comment": "c" * 2001},
        "comment",
    ),
    "make as number": ("customer", "POST", "/api/vehicles", {**GOLF, "make": 5}, "make"),
    "make empty": ("customer", "POST", "/api/vehicles", {**GOLF, "make": ""}, "make"),
    "model 61 chars": ("customer", "POST", "/api/vehicles", {**GOLF, "model": "m" * 61}, "model"),
    "plate 17 chars": ("customer", "POST", "/api/vehicles", {**GOLF, "plate": "P" * 17}, "plate"),
    "unknown size": ("customer", "POST", "/api/vehicles", {**GOLF, "size": "huge"}, "size"),
    "make null": ("customer", "POST", "/api/vehicles", {**GOLF, "make": None}, "make"),
    "patch size": ("customer", "PATCH", "/api/vehicles/{vehicle}", {"size": "tiny"}, "size"),
    "package name 81 chars": (
        "admin", "POST", "/api/packages", {**PACKAGE, "name": "n" * 81}, "name",
    ),
    "negative price": (
        "admin", "POST", "/api/packages", {**PACKAGE, "base_price_cents": -1}, "base_price_cents",
    ),
    "fractional price": (
        "admin", "PATCH", "/api/packages/{package}", {"base_price_cents": 12.5},
        "base_price_cents",
    ),
    "duration 4 minutes": (
        "admin", "POST", "/api/packages", {**PACKAGE, "duration_minutes": 4}, "duration_minutes",
    ),
    "description 1001 chars": (
        "admin", "PATCH", "/api/packages/{package}", {"description": "d" * 1001}, "description",
    ),
    "washer name 121 chars": (
        "admin", "PATCH", "/api/washers/{washer}", {"full_name": "n" * 121}, "full_name",
    ),
    "availability as text": (
        "washer", "PUT", "/api/washers/me/availability", {"is_available": "yes"}, "is_available",
    ),
    "user name 121 chars": (
        "admin", "POST", "/api/users", {**REGISTER, "role": "washer", "full_name": "n" * 121},
        "full_name",
    ),
    "unknown role": ("admin", "POST", "/api/users", {**REGISTER, "role": "owner"}, "role"),
    "washer email malformed": (
        "admin", "POST", "/api/washers", {**REGISTER, "email": "not-an-email"}, "email",
    ),
    "washer password 7 chars": (
        "admin", "POST", "/api/washers", {**REGISTER, "password": "1234567"}, "password",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", INVALID_BODIES)
async def test_an_invalid_field_is_a_400_naming_the_field(
    api: Client, ids: dict[str, int], as_user: dict[str, ApiUser], case: str
) -> None:
    caller, method, path, body, field = INVALID_BODIES[case]
    response = await send(api, as_user[caller], method, path, body, ids)
    assert_invalid(response, field)


# Public auth endpoints, no caller.
INVALID_AUTH_BODIES = {
    "name 121 chars": ("/api/auth/register", {**REGISTER, "full_name": "n" * 121}, "full_name"),
    "name empty": ("/api/auth/register", {**REGISTER, "full_name": ""}, "full_name"),
    "email without at": ("/api/auth/register", {**REGISTER, "email": "new.example"}, "email"),
    "email 255 chars": (
        "/api/auth/register", {**REGISTER, "email": "e" * 243 + "@example.test"}, "email",
    ),
    "password 129 chars": ("/api/auth/register", {**REGISTER, "password": "p" * 129}, "password"),
    "login password as number": (
        "/api/auth/login", {"email": "a@example.test", "password": 12345678}, "password",
    ),
    "refresh token as list": ("/api/auth/refresh", {"refresh_token": ["x"]}, "refresh_token"),
}  # fmt: skip


@pytest.mark.parametrize("case", INVALID_AUTH_BODIES)
async def test_an_invalid_auth_field_is_a_400_naming_the_field(api: Client, case: str) -> None:
    path, body, field = INVALID_AUTH_BODIES[case]
    assert_invalid(await api.post(path, json=body), field)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("offset=1000001", "offset"),
        ("status=washing", "status"),
        ("customer_id=0", "customer_id"),
        ("washer_id=-5", "washer_id"),
    ],
)
async def test_bad_list_parameters_name_the_parameter(
    api: Client, admin: ApiUser, query: str, field: str
) -> None:
    assert_invalid(await api.get(f"/api/orders?{query}", headers=admin.headers), field)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/washers?available=maybe", "available"),
        ("/api/washers?limit=500", "limit"),
        ("/api/packages?include_inactive=perhaps", "include_inactive"),
    ],
)
async def test_bad_parameters_elsewhere_name_the_parameter(
    api: Client, admin: ApiUser, path: str, field: str
) -> None:
    assert_invalid(await api.get(path, headers=admin.headers), field)


# --- missing and unknown fields ----------------------------------------------------------

MISSING_AND_EXTRA = {
    "vehicle without plate": (
        "/api/vehicles", {k: v for k, v in GOLF.items() if k != "plate"}, "plate",
    ),
    "order without lat": (
        "/api/orders", {k: v for k, v in BOOKING.items() if k != "lat"}, "lat",
    ),
    "transition without target": ("/api/orders/{order}/transitions", {"reason": "x"}, "to"),
    "review without stars": ("/api/orders/{order}/review", {"comment": "nice"}, "stars"),
    "client-chosen price": ("/api/orders", {**BOOKING, "price_cents": 1}, "price_cents"),
    "client-chosen owner": ("/api/vehicles", {**GOLF, "owner_id": 1}, "owner_id"),
    "transition with status": (
        "/api/orders/{order}/transitions", {"to": "cancelled", "status": "x"}, "status",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", MISSING_AND_EXTRA)
async def test_missing_or_unknown_fields_are_refused_and_named_in_the_message(
    api: Client, ids: dict[str, int], customer_a: ApiUser, case: str
) -> None:
    path, body, field = MISSING_AND_EXTRA[case]
    error = expect(await send(api, customer_a, "POST", path, body, ids), 400)
    assert error["code"] == "validation_error"
    assert f"`{field}`" in error["errors"][0]["message"], error


async def test_registering_cannot_choose_a_role(api: Client) -> None:
    error = expect(await api.post("/api/auth/register", json={**REGISTER, "role": "admin"}), 400)
    assert error["code"] == "validation_error"
    assert "`role`" in error["errors"][0]["message"]


@pytest.mark.parametrize("case", ["vehicle without plate", "client-chosen price"])
async def test_missing_or_unknown_fields_are_named_in_the_field(
    api: Client, ids: dict[str, int], customer_a: ApiUser, case: str
) -> None:
    path, body, field = MISSING_AND_EXTRA[case]
    assert_invalid(await send(api, customer_a, "POST", path, body, ids), field)


@pytest.mark.parametrize(
    "body", [[1, 2], "a string", 42, None], ids=["array", "string", "number", "null"]
)
async def test_a_body_that_is_not_an_object_is_a_validation_error(
    api: Client, customer_a: ApiUser, body: Any
) -> None:
    response = await api.post(
        "/api/vehicles",
        content=json.dumps(body),
        headers={**customer_a.headers, "content-type": "application/json"},
    )
    assert expect(response, 400)["code"] == "validation_error"


async def test_an_empty_body_is_a_validation_error(api: Client, customer_a: ApiUser) -> None:
    response = await api.post("/api/vehicles", headers=customer_a.headers)
    assert expect(response, 400)["code"] == "validation_error"


# --- malformed JSON and content types ----------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"{bad", b'{"make": "VW",}', b'{"make": "VW"} trailing', b"\xff\xfe", b"{'make': 'VW'}"],
    ids=["bare-word", "trailing-comma", "trailing-garbage", "not-utf8", "single-quotes"],
)
async def test_malformed_json_is_400_malformed_json(
    api: Client, customer_a: ApiUser, raw: bytes
) -> None:
    response = await api.post(
        "/api/vehicles",
        content=raw,
        headers={**customer_a.headers, "content-type": "application/json"},
    )
    body = expect(response, 400)
    assert body["code"] == "malformed_json"
    assert body["message"]


async def test_malformed_json_on_a_public_endpoint_is_400_malformed_json(api: Client) -> None:
    response = await api.post(
        "/api/auth/login", content=b'{"email" "a"}', headers={"content-type": "application/json"}
    )
    assert expect(response, 400)["code"] == "malformed_json"


@pytest.mark.parametrize("raw", [b"{", b'{"email": ', b'{"email": "a@example.test"'])
async def test_truncated_json_is_400_malformed_json(api: Client, raw: bytes) -> None:
    response = await api.post(
        "/api/auth/login", content=raw, headers={"content-type": "application/json"}
    )
    assert expect(response, 400)["code"] == "malformed_json"


async def test_a_form_encoded_body_is_refused(api: Client, customer_a: ApiUser) -> None:
    # A body of the wrong media type, like text/plain below: 415, not a JSON parse error.
    response = await api.post("/api/vehicles", data=GOLF, headers=customer_a.headers)
    assert expect(response, 415)["code"] == "unsupported_media_type"


async def test_a_json_content_type_with_parameters_is_accepted(
    api: Client, customer_a: ApiUser
) -> None:
    response = await api.post(
        "/api/vehicles",
        content=json.dumps(GOLF),
        headers={**customer_a.headers, "content-type": "Application/JSON; charset=utf-8"},
    )
    assert expect(response, 201)["plate"] == GOLF["plate"]


async def test_a_json_body_with_the_wrong_content_type_is_415(
    api: Client, customer_a: ApiUser
) -> None:
    response = await api.post(
        "/api/vehicles",
        content=json.dumps(GOLF),
        headers={**customer_a.headers, "content-type": "text/plain"},
    )
    assert expect(response, 415)["code"] == "unsupported_media_type"


# --- unknown ids and ids out of range ----------------------------------------------------

UNKNOWN = 987_654
# (caller, method, path, body, message)
UNKNOWN_IDS = {
    "vehicle": ("customer", "GET", f"/api/vehicles/{UNKNOWN}", None, "vehicle not found"),
    "vehicle patch": (
        "customer", "PATCH", f"/api/vehicles/{UNKNOWN}", {"color": "red"}, "vehicle not found",
    ),
    "vehicle delete": ("customer", "DELETE", f"/api/vehicles/{UNKNOWN}", None, "vehicle not found"),
    "package": ("customer", "GET", f"/api/packages/{UNKNOWN}", None, "package not found"),
    "package patch": (
        "admin", "PATCH", f"/api/packages/{UNKNOWN}", {"is_active": False}, "package not found",
    ),
    "package delete": ("admin", "DELETE", f"/api/packages/{UNKNOWN}", None, "package not found"),
    "order": ("customer", "GET", f"/api/orders/{UNKNOWN}", None, "order not found"),
    "order transition": (
        "admin", "POST", f"/api/orders/{UNKNOWN}/transitions", {"to": "cancelled"},
        "order not found",
    ),
    "order review": (
        "customer", "POST", f"/api/orders/{UNKNOWN}/review", {"stars": 3}, "order not found",
    ),
    "order review read": ("admin", "GET", f"/api/orders/{UNKNOWN}/review", None, "order not found"),
    "washer": ("admin", "GET", f"/api/washers/{UNKNOWN}", None, "washer not found"),
    "washer reviews": (
        "customer", "GET", f"/api/washers/{UNKNOWN}/reviews", None, "washer not found",
    ),
    "booking with unknown vehicle": (
        "customer", "POST", "/api/orders", {**BOOKING, "vehicle_id": UNKNOWN}, "vehicle not found",
    ),
    "booking with unknown package": (
        "customer", "POST", "/api/orders", {**BOOKING, "package_id": UNKNOWN}, "package not found",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", UNKNOWN_IDS)
async def test_an_unknown_id_is_404_not_found(
    api: Client, ids: dict[str, int], as_user: dict[str, ApiUser], case: str
) -> None:
    caller, method, path, body, message = UNKNOWN_IDS[case]
    response = await send(api, as_user[caller], method, path, body, ids)
    assert expect(response, 404) == {"code": "not_found", "message": message}


ID_PATHS = {
    "vehicle_id": ("customer", "/api/vehicles/{id}"),
    "package_id": ("customer", "/api/packages/{id}"),
    "order_id": ("customer", "/api/orders/{id}"),
    "washer_id": ("admin", "/api/washers/{id}"),
}


@pytest.mark.parametrize("value", ["0", "-1", str(2**62 + 1), "9" * 30])
@pytest.mark.parametrize("field", ID_PATHS)
async def test_an_id_out_of_range_is_400_naming_the_path_parameter(
    api: Client, as_user: dict[str, ApiUser], field: str, value: str
) -> None:
    caller, template = ID_PATHS[field]
    response = await api.get(template.format(id=value), headers=as_user[caller].headers)
    body = assert_invalid(response, field)
    assert body["errors"][0]["source"] == "path"


@pytest.mark.parametrize("value", ["abc", "1.5", "1e3"])
async def test_a_non_numeric_id_matches_no_route(
    api: Client, customer_a: ApiUser, value: str
) -> None:
    response = await api.get(f"/api/orders/{value}", headers=customer_a.headers)
    assert expect(response, 404)["code"] == "not_found"


async def test_an_unknown_method_is_405_method_not_allowed(
    api: Client, customer_a: ApiUser
) -> None:
    response = await api.put("/api/orders", json={}, headers=customer_a.headers)
    assert expect(response, 405)["code"] == "method_not_allowed"


# --- bad tokens --------------------------------------------------------------------------


def forged_token(
    settings: Settings,
    user: ApiUser,
    *,
    expires_in: timedelta = timedelta(minutes=5),
    secret: str | None = None,
    role: str | None = None,
) -> str:
    """A token with the claims `app.security.mint_access_token` writes.

    (mint_access_token itself refuses a past `now`: litestar's Token will not be built with an
    expiry in the past, so an expired token has to be encoded directly.)
    """
    now = datetime.now(UTC)
    claims = {
        "sub": str(user.id),
        "iat": int((now - timedelta(hours=1)).timestamp()),
        "exp": int((now + expires_in).timestamp()),
        "jti": "0123456789abcdef",
        "role": role or user.role,
        "email": user.email,
    }
    return jwt.encode(claims, secret or settings.jwt_secret, algorithm=ALGORITHM)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_forged_like_ours_is_accepted(
    api: Client, settings: Settings, customer_a: ApiUser
) -> None:
    """Guards the helper below: a fresh, correctly signed token does work."""
    me = expect(await api.get("/api/me", headers=bearer(forged_token(settings, customer_a))), 200)
    assert me["id"] == customer_a.id


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("garbage", "invalid token"),
        ("three garbage parts", "invalid token"),
        ("wrong signature", "invalid token"),
        ("refresh token as access token", "invalid token"),
        ("system role", "invalid token"),
        ("unknown role", "invalid token"),
        ("alg none", "invalid token"),
        ("expired", None),
        ("basic scheme", "authentication required"),
        ("bearer without token", "authentication required"),
    ],
)
async def test_a_bad_token_is_401_unauthorized(
    api: Client, settings: Settings, customer_a: ApiUser, kind: str, message: str | None
) -> None:
    headers = {
        "garbage": bearer("garbage"),
        "three garbage parts": bearer("abc.def.ghi"),
        "wrong signature": bearer(
            forged_token(settings, customer_a, secret="another-secret-of-sufficient-length")
        ),
        "refresh token as access token": bearer(customer_a.refresh_token),
        "system role": bearer(forged_token(settings, customer_a, role="system")),
        "unknown role": bearer(forged_token(settings, customer_a, role="superuser")),
        "alg none": bearer(
            jwt.encode({"sub": str(customer_a.id), "role": "admin"}, None, algorithm="none")
        ),
        "expired": bearer(forged_token(settings, customer_a, expires_in=-timedelta(minutes=1))),
        "basic scheme": {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
        "bearer without token": {"Authorization": "Bearer"},
    }[kind]
    body = expect(await api.get("/api/orders", headers=headers), 401)
    assert body["code"] == "unauthorized"
    if message is not None:
        assert body["message"] == message


async def test_an_expired_token_says_so(
    api: Client, settings: Settings, customer_a: ApiUser
) -> None:
    token = forged_token(settings, customer_a, expires_in=-timedelta(minutes=1))
    body = expect(await api.get("/api/me", headers=bearer(token)), 401)
    assert body["message"] == "token expired"


@pytest.mark.parametrize("path", ["/api/auth/refresh", "/api/auth/logout"])
@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 500])
async def test_an_unknown_refresh_token_is_401_invalid_refresh_token(
    api: Client, path: str, token: str
) -> None:
    body = expect(await api.post(path, json={"refresh_token": token}), 401)
    assert body["code"] == "invalid_refresh_token"


async def test_an_access_token_is_not_a_refresh_token(api: Client, customer_a: ApiUser) -> None:
    response = await api.post("/api/auth/refresh", json={"refresh_token": customer_a.access_token})
    assert expect(response, 401)["code"] == "invalid_refresh_token"
