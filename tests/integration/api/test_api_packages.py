"""Service packages: a public catalog of active packages; admins create, change and delete."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]
INTERIOR = {"name": "Interior clean", "base_price_cents": 3500, "duration_minutes": 45}


def names(packages: list[dict[str, Any]]) -> list[str]:
    return [p["name"] for p in packages]


async def test_anyone_may_list_active_packages_cheapest_first(
    api: Client, make_package: Any
) -> None:
    await make_package("Full detail", base_price_cents=9900)
    await make_package("Quick rinse", base_price_cents=900)
    await make_package("Retired wax", base_price_cents=1500, is_active=False)
    listed = expect(await api.get("/api/packages"), 200)
    assert names(listed) == ["Quick rinse", "Full detail"]
    assert listed[0] == {
        "id": listed[0]["id"],
        "name": "Quick rinse",
        "description": "",
        "base_price_cents": 900,
        "duration_minutes": 30,
        "is_active": True,
    }


async def test_only_admins_may_include_inactive_packages(
    api: Client, make_package: Any, customer_a: ApiUser, admin: ApiUser
) -> None:
    await make_package("Quick rinse", base_price_cents=900)
    await make_package("Retired wax", base_price_cents=1500, is_active=False)
    query = "/api/packages?include_inactive=true"
    assert names(expect(await api.get(query), 200)) == ["Quick rinse"]
    assert names(expect(await api.get(query, headers=customer_a.headers), 200)) == ["Quick rinse"]
    assert names(expect(await api.get(query, headers=admin.headers), 200)) == [
        "Quick rinse",
        "Retired wax",
    ]


async def test_a_bad_token_on_the_public_list_is_still_refused(api: Client) -> None:
    response = await api.get("/api/packages", headers={"Authorization": "Bearer garbage"})
    assert expect(response, 401)["code"] == "unauthorized"


async def test_anyone_may_read_one_package(api: Client, package: dict[str, Any]) -> None:
    body = expect(await api.get(f"/api/packages/{package['id']}"), 200)
    assert (body["id"], body["name"], body["base_price_cents"]) == (
        package["id"],
        "Exterior wash",
        2000,
    )


async def test_an_unknown_package_is_not_found(api: Client) -> None:
    body = expect(await api.get("/api/packages/424242"), 404)
    assert body == {"code": "not_found", "message": "package not found"}


async def test_admin_creates_a_package_that_then_appears_in_the_catalog(
    api: Client, admin: ApiUser
) -> None:
    body = {**INTERIOR, "description": "Vacuum, seats and dashboard"}
    created = expect(await api.post("/api/packages", json=body, headers=admin.headers), 201)
    assert created == {"id": created["id"], **body, "is_active": True}
    assert names(expect(await api.get("/api/packages"), 200)) == ["Interior clean"]


async def test_package_names_are_unique(api: Client, admin: ApiUser) -> None:
    expect(await api.post("/api/packages", json=INTERIOR, headers=admin.headers), 201)
    error = expect(await api.post("/api/packages", json=INTERIOR, headers=admin.headers), 409)
    assert error["code"] == "package_name_taken"


async def test_admin_changes_price_and_retires_a_package(
    api: Client, package: dict[str, Any], admin: ApiUser
) -> None:
    url = f"/api/packages/{package['id']}"
    changed = expect(
        await api.patch(url, json={"base_price_cents": 2500}, headers=admin.headers), 200
    )
    assert (changed["base_price_cents"], changed["name"]) == (2500, "Exterior wash")
    retired = expect(await api.patch(url, json={"is_active": False}, headers=admin.headers), 200)
    assert retired["is_active"] is False
    assert expect(await api.get("/api/packages"), 200) == []


async def test_renaming_to_another_packages_name_is_a_conflict(
    api: Client, make_package: Any, admin: ApiUser
) -> None:
    await make_package("Quick rinse")
    other = await make_package("Full detail")
    url = f"/api/packages/{other['id']}"
    error = expect(await api.patch(url, json={"name": "Quick rinse"}, headers=admin.headers), 409)
    assert error["code"] == "package_name_taken"
    same = expect(await api.patch(url, json={"name": "Full detail"}, headers=admin.headers), 200)
    assert same["name"] == "Full detail"


async def test_admin_deletes_an_unused_package(
    api: Client, package: dict[str, Any], admin: ApiUser
) -> None:
    url = f"/api/packages/{package['id']}"
    assert expect(await api.delete(url, headers=admin.headers), 204) is None
    assert expect(await api.get(url), 404)["code"] == "not_found"


async def test_a_package_with_orders_cannot_be_deleted(
    api: Client, order_a: dict[str, Any], admin: ApiUser
) -> None:
    url = f"/api/packages/{order_a['package_id']}"
    error = expect(await api.delete(url, headers=admin.headers), 409)
    assert error["code"] == "package_in_use"
    expect(await api.get(url), 200)


async def test_a_retired_package_keeps_existing_orders_but_takes_no_new_ones(
    api: Client,
    order_a: dict[str, Any],
    vehicle_a: dict[str, Any],
    customer_a: ApiUser,
    admin: ApiUser,
) -> None:
    url = f"/api/packages/{order_a['package_id']}"
    expect(await api.patch(url, json={"is_active": False}, headers=admin.headers), 200)
    expect(await api.get(f"/api/orders/{order_a['id']}", headers=customer_a.headers), 200)
    body = {
        "vehicle_id": vehicle_a["id"],
        "package_id": order_a["package_id"],
        "address": "12 Harbour Street",
        "lat": 52.52,
        "lng": 13.405,
    }
    error = expect(await api.post("/api/orders", json=body, headers=customer_a.headers), 404)
    assert error["message"] == "package not found"
