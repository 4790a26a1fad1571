"""Sessions (refresh-token families): a user lists and ends their own, an admin ends all of
a user's; an ended session can no longer be refreshed. On both back-ends."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect
from tests.support.database import PASSWORD

Client = AsyncTestClient[Litestar]
PHONE = "WashlinePhone/2.1 (Android 14)"
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"


async def sign_in(api: Client, user: ApiUser, agent: str) -> dict[str, Any]:
    body = {"email": user.email, "password": PASSWORD}
    return expect(await api.post("/api/auth/login", json=body, headers={"User-Agent": agent}), 200)  # type: ignore[no-any-return]


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def my_sessions(api: Client, tokens: dict[str, Any]) -> list[dict[str, Any]]:
    return expect(await api.get("/api/me/sessions", headers=bearer(tokens)), 200)  # type: ignore[no-any-return]


async def refresh_status(api: Client, tokens: dict[str, Any]) -> int:
    response = await api.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    return response.status_code


async def test_each_login_is_a_session_with_its_device_and_address(
    api: Client, customer_a: ApiUser
) -> None:
    phone = await sign_in(api, customer_a, PHONE)
    laptop = await sign_in(api, customer_a, LAPTOP)
    listed = await my_sessions(api, phone)
    # the fixture's own login, the phone and the laptop; the newest first
    assert len(listed) == 3
    assert [s["user_agent"] for s in listed[:2]] == [LAPTOP, PHONE]
    assert [s["current"] for s in listed] == [False, True, False]
    assert {s["address"] for s in listed} == {"testclient"}
    assert len({s["id"] for s in listed}) == 3
    assert [s["current"] for s in await my_sessions(api, laptop)] == [True, False, False]


async def test_a_refresh_continues_its_session(api: Client, customer_a: ApiUser) -> None:
    phone = await sign_in(api, customer_a, PHONE)
    [before] = [s for s in await my_sessions(api, phone) if s["current"]]
    body = {"refresh_token": phone["refresh_token"]}
    renewed = expect(await api.post("/api/auth/refresh", json=body), 200)
    [after] = [s for s in await my_sessions(api, renewed) if s["current"]]
    assert after["id"] == before["id"]
    assert after["created_at"] == before["created_at"]
    assert after["last_used_at"] >= before["last_used_at"]
    assert len(await my_sessions(api, renewed)) == 2


async def test_a_logged_out_session_is_no_longer_listed(api: Client, customer_a: ApiUser) -> None:
    phone = await sign_in(api, customer_a, PHONE)
    body = {"refresh_token": customer_a.refresh_token}
    expect(await api.post("/api/auth/logout", json=body), 204)
    assert [s["user_agent"] for s in await my_sessions(api, phone)] == [PHONE]


async def test_ending_a_session_stops_its_refresh_and_is_audited(
    api: Client, customer_a: ApiUser, admin: ApiUser
) -> None:
    phone = await sign_in(api, customer_a, PHONE)
    laptop = await sign_in(api, customer_a, LAPTOP)
    [laptop_session] = [s for s in await my_sessions(api, laptop) if s["current"]]
    response = await api.delete(f"/api/me/sessions/{laptop_session['id']}", headers=bearer(phone))
    expect(response, 204)
    assert await refresh_status(api, laptop) == 401
    assert await refresh_status(api, phone) == 200
    assert laptop_session["id"] not in {s["id"] for s in await my_sessions(api, phone)}

    trail = expect(
        await api.get(
            "/api/admin/audit", params={"action": "session.revoked"}, headers=admin.headers
        ),
        200,
    )["items"]
    assert [(e["actor_id"], e["target_id"], e["detail"]) for e in trail] == [
        (customer_a.id, customer_a.id, {"sessions": [laptop_session["id"]]})
    ]


async def test_another_users_session_is_not_found(
    api: Client, customer_a: ApiUser, customer_b: ApiUser
) -> None:
    phone = await sign_in(api, customer_a, PHONE)
    [session] = [s for s in await my_sessions(api, phone) if s["current"]]
    response = await api.delete(f"/api/me/sessions/{session['id']}", headers=customer_b.headers)
    assert expect(response, 404)["code"] == "not_found"
    missing = await api.delete("/api/me/sessions/" + "0" * 32, headers=customer_b.headers)
    assert expect(missing, 404)["code"] == "not_found"
    assert await refresh_status(api, phone) == 200


@pytest.mark.parametrize("session_id", ["A" * 32, "a" * 33, "bad%20id"])
async def test_a_malformed_session_id_is_refused(
    api: Client, customer_a: ApiUser, session_id: str
) -> None:
    response = await api.delete(f"/api/me/sessions/{session_id}", headers=customer_a.headers)
    assert expect(response, 400)["code"] == "validation_error"


async def test_revoking_the_others_keeps_the_callers_session(
    api: Client, customer_a: ApiUser, customer_b: ApiUser
) -> None:
    phone = await sign_in(api, customer_a, PHONE)
    laptop = await sign_in(api, customer_a, LAPTOP)
    response = await api.delete("/api/me/sessions", headers=bearer(phone))
    assert expect(response, 200) == {"revoked": 2}
    assert await refresh_status(api, laptop) == 401
    assert await refresh_status(api, {"refresh_token": customer_a.refresh_token}) == 401
    assert await refresh_status(api, {"refresh_token": customer_b.refresh_token}) == 200
    assert await refresh_status(api, phone) == 200


async def test_keep_current_false_ends_every_session(api: Client, customer_a: ApiUser) -> None:
    phone = await sign_in(api, customer_a, PHONE)
    response = await api.delete(
        "/api/me/sessions", params={"keep_current": "false"}, headers=bearer(phone)
    )
    assert expect(response, 200) == {"revoked": 2}
    assert await refresh_status(api, phone) == 401
    # Its own access token ended with it: the caller is signed out everywhere.
    refused = await api.get("/api/me/sessions", headers=bearer(phone))
    assert expect(refused, 401)["message"] == "this session has ended; log in again"


async def test_an_admin_ends_every_session_of_a_user(
    api: Client, admin: ApiUser, customer_a: ApiUser
) -> None:
    phone = await sign_in(api, customer_a, PHONE)
    url = f"/api/admin/users/{customer_a.id}/sessions"
    assert expect(await api.delete(url, headers=admin.headers), 200) == {"revoked": 2}
    assert await refresh_status(api, phone) == 401
    assert await refresh_status(api, {"refresh_token": customer_a.refresh_token}) == 401
    assert await refresh_status(api, {"refresh_token": admin.refresh_token}) == 200


async def test_only_admins_end_other_users_sessions(
    api: Client, admin: ApiUser, customer_a: ApiUser, customer_b: ApiUser
) -> None:
    url = f"/api/admin/users/{customer_b.id}/sessions"
    assert expect(await api.delete(url, headers=customer_a.headers), 403)["code"] == "forbidden"
    missing = await api.delete("/api/admin/users/999999/sessions", headers=admin.headers)
    assert expect(missing, 404)["code"] == "not_found"
    assert await refresh_status(api, {"refresh_token": customer_b.refresh_token}) == 200


async def test_openapi_documents_the_session_routes(api: Client) -> None:
    paths = expect(await api.get("/schema/openapi.json"), 200)["paths"]
    assert set(paths["/api/me/sessions"]) == {"get", "delete"}
    one = paths["/api/me/sessions/{session_id}"]["delete"]["responses"]
    assert one["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "400" in one
    admin = paths["/api/admin/users/{user_id}/sessions"]["delete"]["responses"]
    assert {"200", "400", "403", "404"} <= set(admin)
