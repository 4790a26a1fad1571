"""New accounts get a password by the policy (400 `weak_password`, saying why), whoever makes
them; logging in never applies it."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]
EMAIL = "Carol@Example.test"
WEAK = {
    "digits": ("12345678", "commonly used"),
    "password": ("password", "commonly used"),
    "capitalised": ("Password", "commonly used"),
    "spaces": (" " * 8, "whitespace"),
    "the email": ("carol@example.test", "email"),
}


def body(password: str, email: str = EMAIL) -> dict[str, str]:
    return {"email": email, "password": password, "full_name": "Carol"}


@pytest.mark.parametrize(("password", "reason"), WEAK.values(), ids=WEAK.keys())
async def test_registration_refuses_a_weak_password(
    api: Client, password: str, reason: str
) -> None:
    refused = expect(await api.post("/api/auth/register", json=body(password)), 400)
    assert refused["code"] == "weak_password"
    assert reason in refused["message"]


async def test_registration_refuses_the_local_part_of_the_email(api: Client) -> None:
    refused = expect(
        await api.post("/api/auth/register", json=body("carolinesmith", "CarolineSmith@x.test")),
        400,
    )
    assert refused["code"] == "weak_password"
    assert "email" in refused["message"]


async def test_a_refused_registration_makes_no_account(api: Client) -> None:
    expect(await api.post("/api/auth/register", json=body("password")), 400)
    expect(await api.post("/api/auth/register", json=body("long-enough-pw")), 201)


@pytest.mark.parametrize("path", ["/api/users", "/api/washers"])
async def test_admins_cannot_give_a_weak_password_either(
    api: Client, admin: ApiUser, path: str
) -> None:
    payload = {**body("iloveyou1"), **({"role": "customer"} if path == "/api/users" else {})}
    refused = expect(await api.post(path, json=payload, headers=admin.headers), 400)
    assert refused["code"] == "weak_password"


async def test_login_does_not_apply_the_policy(api: Client, customer_a: ApiUser) -> None:
    for password in ("password", "1234567", customer_a.email):
        response = await api.post(
            "/api/auth/login", json={"email": customer_a.email, "password": password}
        )
        assert expect(response, 401)["code"] == "invalid_credentials"
