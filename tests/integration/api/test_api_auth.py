"""Registration, login, refresh rotation, logout and /api/me, on both back-ends."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]
NEW_USER = {"email": "Carol@Example.test", "password": "long-enough-pw", "full_name": "Carol"}


async def test_register_logs_in_as_customer_with_normalised_email(api: Client) -> None:
    body = expect(await api.post("/api/auth/register", json=NEW_USER), 201)
    assert body["user"]["role"] == "customer"
    assert body["user"]["email"] == "carol@example.test"
    me = expect(
        await api.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"}), 200
    )
    assert me["id"] == body["user"]["id"]


async def test_register_twice_is_a_conflict(api: Client) -> None:
    expect(await api.post("/api/auth/register", json=NEW_USER), 201)
    body = expect(await api.post("/api/auth/register", json=NEW_USER), 409)
    assert body["code"] == "email_taken"


async def test_login_with_wrong_password_is_refused(api: Client, customer_a: ApiUser) -> None:
    body = expect(
        await api.post(
            "/api/auth/login", json={"email": customer_a.email, "password": "nope-nope-nope"}
        ),
        401,
    )
    assert body["code"] == "invalid_credentials"


async def test_refresh_rotates_and_the_old_token_stops_working(
    api: Client, customer_a: ApiUser
) -> None:
    fresh = expect(
        await api.post("/api/auth/refresh", json={"refresh_token": customer_a.refresh_token}), 200
    )
    assert fresh["refresh_token"] != customer_a.refresh_token
    expect(await api.post("/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]}), 200)
    again = expect(
        await api.post("/api/auth/refresh", json={"refresh_token": customer_a.refresh_token}), 401
    )
    assert again["code"] == "invalid_refresh_token"


async def test_logout_revokes_the_refresh_token(api: Client, customer_a: ApiUser) -> None:
    expect(
        await api.post("/api/auth/logout", json={"refresh_token": customer_a.refresh_token}), 204
    )
    body = expect(
        await api.post("/api/auth/refresh", json={"refresh_token": customer_a.refresh_token}), 401
    )
    assert body["code"] == "invalid_refresh_token"


async def test_me_needs_a_valid_token(api: Client) -> None:
    assert expect(await api.get("/api/me"), 401)["code"] == "unauthorized"
    bad = expect(await api.get("/api/me", headers={"Authorization": "Bearer not.a.jwt"}), 401)
    assert bad["message"] == "invalid token"
