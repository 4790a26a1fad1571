"""A NUL character in any text field is a 400 validation_error naming the field.

PostgreSQL's text columns cannot hold U+0000: before, each of these reached the insert and
answered 500 there (SQLite stored it). Login answered 500 before any insert, on the lookup.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]

NUL = "\u0000"
REGISTER = {"email": "new@example.test", "password": "long-enough-pw", "full_name": "New"}
GOLF = {"make": "Volkswagen", "model": "Golf", "plate": "B-WL-9", "size": "small"}
PACKAGE = {"name": "Ceramic coat", "base_price_cents": 12000, "duration_minutes": 120}
BOOKING = {"address": "1 Elm Row", "lat": 52.5, "lng": 13.4}


def assert_refused(response: Any, field: str) -> None:
    body = expect(response, 400)
    assert body["code"] == "validation_error", body
    named = [e for e in body["errors"] if e["field"] == field]
    assert named, body
    if field != "email":  # the email pattern refuses NUL, in its own words
        assert "NUL" in named[0]["message"], body


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/auth/register", {**REGISTER, "full_name": f"Ne{NUL}w"}, "full_name"),
        ("/api/auth/register", {**REGISTER, "email": f"n{NUL}ew@example.test"}, "email"),
        ("/api/auth/register", {**REGISTER, "password": f"long-{NUL}-enough"}, "password"),
        ("/api/auth/login", {"email": f"a{NUL}@example.test", "password": "12345678"}, "email"),
    ],
    ids=["register name", "register email", "register password", "login email"],
)
async def test_public_text_fields_refuse_nul(
    api: Client, path: str, body: dict[str, Any], field: str
) -> None:
    assert_refused(await api.post(path, json=body), field)


async def test_a_chat_message_refuses_nul(
    api: Client, customer_a: ApiUser, order_a: dict[str, Any]
) -> None:
    response = await api.post(
        f"/api/orders/{order_a['id']}/messages",
        json={"body": f"at the{NUL} gate"},
        headers=customer_a.headers,
    )
    assert_refused(response, "body")


@pytest.mark.parametrize("field", ["address", "notes"])
async def test_a_booking_refuses_nul(
    api: Client, customer_a: ApiUser, vehicle_a: dict[str, Any], package: dict[str, Any], field: str
) -> None:
    body = {"vehicle_id": vehicle_a["id"], "package_id": package["id"], **BOOKING}
    body[field] = f"12 Harbour{NUL} Street"
    assert_refused(await api.post("/api/orders", json=body, headers=customer_a.headers), field)


@pytest.mark.parametrize("field", ["make", "model", "plate", "color"])
async def test_a_vehicle_refuses_nul(api: Client, customer_a: ApiUser, field: str) -> None:
    body = {**GOLF, field: f"X{NUL}Y"}
    assert_refused(await api.post("/api/vehicles", json=body, headers=customer_a.headers), field)


@pytest.mark.parametrize("field", ["name", "description"])
async def test_a_package_refuses_nul(api: Client, admin: ApiUser, field: str) -> None:
    body = {**PACKAGE, field: f"Ceramic{NUL} coat"}
    assert_refused(await api.post("/api/packages", json=body, headers=admin.headers), field)


async def test_a_transition_reason_refuses_nul(
    api: Client, customer_a: ApiUser, order_a: dict[str, Any]
) -> None:
    response = await api.post(
        f"/api/orders/{order_a['id']}/transitions",
        json={"to": "cancelled", "reason": f"changed{NUL} my mind"},
        headers=customer_a.headers,
    )
    assert_refused(response, "reason")


async def test_a_review_comment_refuses_nul(
    api: Client, customer_a: ApiUser, completed_order: dict[str, Any]
) -> None:
    response = await api.post(
        f"/api/orders/{completed_order['id']}/review",
        json={"stars": 5, "comment": f"spot{NUL}less"},
        headers=customer_a.headers,
    )
    assert_refused(response, "comment")


async def test_a_washer_name_refuses_nul(api: Client, admin: ApiUser, washer: ApiUser) -> None:
    response = await api.patch(
        f"/api/washers/{washer.id}", json={"full_name": f"Wa{NUL}lt"}, headers=admin.headers
    )
    assert_refused(response, "full_name")
