"""Washers: admins manage accounts; a washer reads their profile and goes on or off duty."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect, login

Client = AsyncTestClient[Litestar]
NEW_WASHER = {"email": "Wes@Example.test", "password": "sponge-and-bucket", "full_name": "Wes"}


async def test_admin_creates_a_washer_who_can_then_log_in(api: Client, admin: ApiUser) -> None:
    created = expect(await api.post("/api/washers", json=NEW_WASHER, headers=admin.headers), 201)
    assert created == {
        "id": created["id"],
        "email": "wes@example.test",
        "full_name": "Wes",
        "is_active": True,
        "is_available": False,
        "rating_average": 0.0,
        "rating_count": 0,
        "last_lat": None,
        "last_lng": None,
        "last_fix_at": None,
    }
    wes = await login(api, "wes@example.test", NEW_WASHER["password"])
    assert wes.role == "washer"
    assert expect(await api.get("/api/washers/me", headers=wes.headers), 200) == created


async def test_a_new_washer_may_start_on_duty(api: Client, admin: ApiUser) -> None:
    body = {**NEW_WASHER, "is_available": True}
    created = expect(await api.post("/api/washers", json=body, headers=admin.headers), 201)
    assert created["is_available"] is True


async def test_a_washer_email_already_in_use_is_a_conflict(
    api: Client, admin: ApiUser, customer_a: ApiUser
) -> None:
    body = {**NEW_WASHER, "email": customer_a.email.upper()}
    error = expect(await api.post("/api/washers", json=body, headers=admin.headers), 409)
    assert error["code"] == "email_taken"


async def test_admin_lists_washers_and_filters_by_availability(
    api: Client, admin: ApiUser, washer: ApiUser, other_washer: ApiUser, customer_a: ApiUser
) -> None:
    expect(
        await api.put(
            "/api/washers/me/availability", json={"is_available": True}, headers=washer.headers
        ),
        200,
    )

    def ids(body: list[dict[str, Any]]) -> list[int]:
        return [w["id"] for w in body]

    everyone = expect(await api.get("/api/washers", headers=admin.headers), 200)
    assert ids(everyone) == [washer.id, other_washer.id]
    on_duty = expect(await api.get("/api/washers?available=true", headers=admin.headers), 200)
    assert ids(on_duty) == [washer.id]
    off_duty = expect(await api.get("/api/washers?available=false", headers=admin.headers), 200)
    assert ids(off_duty) == [other_washer.id]


async def test_the_washer_list_pages_with_limit_and_offset(
    api: Client, admin: ApiUser, washer: ApiUser, other_washer: ApiUser
) -> None:
    first = expect(await api.get("/api/washers?limit=1", headers=admin.headers), 200)
    second = expect(await api.get("/api/washers?limit=1&offset=1", headers=admin.headers), 200)
    past_end = expect(await api.get("/api/washers?offset=2", headers=admin.headers), 200)
    assert [w["id"] for w in first + second] == [washer.id, other_washer.id]
    assert past_end == []


async def test_admin_reads_one_washer(api: Client, admin: ApiUser, washer: ApiUser) -> None:
    body = expect(await api.get(f"/api/washers/{washer.id}", headers=admin.headers), 200)
    assert (body["id"], body["email"], body["full_name"]) == (washer.id, washer.email, "walt")


async def test_a_user_who_is_not_a_washer_is_not_found_as_one(
    api: Client, admin: ApiUser, customer_a: ApiUser
) -> None:
    body = expect(await api.get(f"/api/washers/{customer_a.id}", headers=admin.headers), 404)
    assert body == {"code": "not_found", "message": "washer not found"}


async def test_admin_renames_a_washer_and_sets_availability(
    api: Client, admin: ApiUser, washer: ApiUser
) -> None:
    url = f"/api/washers/{washer.id}"
    body = {"full_name": "Walter White-Wall", "is_available": True}
    changed = expect(await api.patch(url, json=body, headers=admin.headers), 200)
    assert (changed["full_name"], changed["is_available"]) == ("Walter White-Wall", True)
    assert expect(await api.get("/api/washers/me", headers=washer.headers), 200) == changed


async def test_deactivating_by_patch_also_takes_the_washer_off_duty(
    api: Client, admin: ApiUser, washer: ApiUser
) -> None:
    url = f"/api/washers/{washer.id}"
    expect(await api.patch(url, json={"is_available": True}, headers=admin.headers), 200)
    changed = expect(await api.patch(url, json={"is_active": False}, headers=admin.headers), 200)
    assert (changed["is_active"], changed["is_available"]) == (False, False)


async def test_delete_deactivates_a_washer_who_can_no_longer_log_in(
    api: Client, admin: ApiUser, washer: ApiUser
) -> None:
    url = f"/api/washers/{washer.id}"
    assert expect(await api.delete(url, headers=admin.headers), 204) is None
    kept = expect(await api.get(url, headers=admin.headers), 200)
    assert (kept["is_active"], kept["is_available"]) == (False, False)
    refused = await api.post(
        "/api/auth/login", json={"email": washer.email, "password": "correct-horse-battery"}
    )
    assert expect(refused, 403)["code"] == "account_disabled"


async def test_a_deactivated_washer_cannot_be_given_orders(
    order_a: dict[str, Any], move: Any, admin: ApiUser, washer: ApiUser, api: Client
) -> None:
    expect(await api.delete(f"/api/washers/{washer.id}", headers=admin.headers), 204)
    error = expect(await move(admin, order_a["id"], "assigned", washer_id=washer.id), 400)
    assert error["code"] == "unknown_washer"


async def test_a_washer_goes_on_and_off_duty(api: Client, washer: ApiUser) -> None:
    url = "/api/washers/me/availability"
    on = expect(await api.put(url, json={"is_available": True}, headers=washer.headers), 200)
    assert (on["id"], on["is_available"]) == (washer.id, True)
    off = expect(await api.put(url, json={"is_available": False}, headers=washer.headers), 200)
    assert off["is_available"] is False
    me = expect(await api.get("/api/washers/me", headers=washer.headers), 200)
    assert me["is_available"] is False


async def test_unknown_washers_are_not_found(api: Client, admin: ApiUser) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        kwargs: dict[str, Any] = {"json": {"full_name": "X"}} if method == "PATCH" else {}
        response = await api.request(method, "/api/washers/777777", headers=admin.headers, **kwargs)
        assert expect(response, 404)["code"] == "not_found", method
    reviews = await api.get("/api/washers/777777/reviews", headers=admin.headers)
    assert expect(reviews, 404)["code"] == "not_found"
