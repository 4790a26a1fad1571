"""Admin-created users: any role but the system's; nobody else may create accounts this way."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect, login

Client = AsyncTestClient[Litestar]
PASSWORD = "a-long-enough-secret"


def new_user(role: str, email: str = "Nina@Example.test") -> dict[str, str]:
    return {"email": email, "password": PASSWORD, "full_name": "  Nina  ", "role": role}


@pytest.mark.parametrize("role", ["customer", "washer", "admin"])
async def test_admin_creates_a_user_of_a_role_who_can_log_in(
    api: Client, admin: ApiUser, role: str
) -> None:
    created = expect(await api.post("/api/users", json=new_user(role), headers=admin.headers), 201)
    assert created == {
        "id": created["id"],
        "email": "nina@example.test",
        "full_name": "Nina",
        "role": role,
        "is_active": True,
        "created_at": created["created_at"],
    }
    nina = await login(api, "nina@example.test", PASSWORD)
    assert (nina.id, nina.role) == (created["id"], role)


async def test_a_washer_created_as_a_user_has_a_washer_profile(api: Client, admin: ApiUser) -> None:
    created = expect(
        await api.post("/api/users", json=new_user("washer"), headers=admin.headers), 201
    )
    profile = expect(await api.get(f"/api/washers/{created['id']}", headers=admin.headers), 200)
    assert (profile["is_available"], profile["rating_count"]) == (False, 0)


async def test_a_created_admin_has_admin_powers(api: Client, admin: ApiUser) -> None:
    expect(await api.post("/api/users", json=new_user("admin"), headers=admin.headers), 201)
    nina = await login(api, "nina@example.test", PASSWORD)
    expect(await api.get("/api/washers", headers=nina.headers), 200)
    other = new_user("customer", email="other@example.test")
    expect(await api.post("/api/users", json=other, headers=nina.headers), 201)


async def test_nobody_may_be_given_the_system_role(api: Client, admin: ApiUser) -> None:
    error = expect(
        await api.post("/api/users", json=new_user("system"), headers=admin.headers), 400
    )
    assert error["code"] == "invalid_role"


async def test_an_email_already_taken_is_a_conflict(
    api: Client, admin: ApiUser, customer_a: ApiUser
) -> None:
    body = new_user("washer", email=customer_a.email.upper())
    error = expect(await api.post("/api/users", json=body, headers=admin.headers), 409)
    assert error["code"] == "email_taken"


@pytest.mark.parametrize("caller", ["owner", "assigned_washer"])
async def test_non_admins_are_forbidden(
    api: Client, callers: dict[str, dict[str, str]], caller: str
) -> None:
    response = await api.post("/api/users", json=new_user("admin"), headers=callers[caller])
    assert expect(response, 403)["code"] == "forbidden"


async def test_anonymous_callers_must_log_in(api: Client) -> None:
    error = expect(await api.post("/api/users", json=new_user("admin")), 401)
    assert error["code"] == "unauthorized"
