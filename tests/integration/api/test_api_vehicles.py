"""Vehicles: a customer's own cars; create, list, read, change, delete."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]
GOLF = {"make": "Volkswagen", "model": "Golf", "plate": "b-wl 123", "size": "medium"}


async def test_a_customer_adds_a_vehicle_with_the_plate_in_capitals(
    api: Client, customer_a: ApiUser
) -> None:
    vehicle = expect(await api.post("/api/vehicles", json=GOLF, headers=customer_a.headers), 201)
    assert vehicle["owner_id"] == customer_a.id
    assert (vehicle["make"], vehicle["model"], vehicle["size"]) == ("Volkswagen", "Golf", "medium")
    assert vehicle["plate"] == "B-WL 123"
    assert vehicle["color"] is None
    assert vehicle["created_at"]


async def test_colour_is_optional_and_kept(api: Client, customer_a: ApiUser) -> None:
    body = {**GOLF, "color": "racing green"}
    vehicle = expect(await api.post("/api/vehicles", json=body, headers=customer_a.headers), 201)
    assert vehicle["color"] == "racing green"


async def test_the_list_holds_only_the_callers_vehicles_oldest_first(
    api: Client, make_vehicle: Any, customer_a: ApiUser, customer_b: ApiUser
) -> None:
    first = await make_vehicle(customer_a, plate="A-1")
    await make_vehicle(customer_b, plate="B-1")
    second = await make_vehicle(customer_a, plate="A-2")
    listed = expect(await api.get("/api/vehicles", headers=customer_a.headers), 200)
    assert [v["id"] for v in listed] == [first["id"], second["id"]]


async def test_a_new_customer_has_no_vehicles(api: Client, customer_b: ApiUser) -> None:
    assert expect(await api.get("/api/vehicles", headers=customer_b.headers), 200) == []


async def test_reading_one_vehicle(
    api: Client, vehicle_a: dict[str, Any], customer_a: ApiUser
) -> None:
    body = expect(
        await api.get(f"/api/vehicles/{vehicle_a['id']}", headers=customer_a.headers), 200
    )
    assert body == vehicle_a


async def test_a_patch_changes_only_the_fields_sent(
    api: Client, make_vehicle: Any, customer_a: ApiUser
) -> None:
    vehicle = await make_vehicle(customer_a, size="small")
    changed = expect(
        await api.patch(
            f"/api/vehicles/{vehicle['id']}",
            json={"size": "xl", "color": "white"},
            headers=customer_a.headers,
        ),
        200,
    )
    assert (changed["size"], changed["color"]) == ("xl", "white")
    assert (changed["make"], changed["plate"]) == (vehicle["make"], vehicle["plate"])
    again = expect(await api.get(f"/api/vehicles/{vehicle['id']}", headers=customer_a.headers), 200)
    assert again == changed


async def test_a_patch_with_null_colour_clears_it(api: Client, customer_a: ApiUser) -> None:
    body = {**GOLF, "color": "red"}
    vehicle = expect(await api.post("/api/vehicles", json=body, headers=customer_a.headers), 201)
    cleared = expect(
        await api.patch(
            f"/api/vehicles/{vehicle['id']}", json={"color": None}, headers=customer_a.headers
        ),
        200,
    )
    assert cleared["color"] is None


async def test_an_empty_patch_changes_nothing(
    api: Client, vehicle_a: dict[str, Any], customer_a: ApiUser
) -> None:
    same = expect(
        await api.patch(f"/api/vehicles/{vehicle_a['id']}", json={}, headers=customer_a.headers),
        200,
    )
    assert same == vehicle_a


async def test_a_patched_plate_is_normalised_like_a_new_one(
    api: Client, vehicle_a: dict[str, Any], customer_a: ApiUser
) -> None:
    changed = expect(
        await api.patch(
            f"/api/vehicles/{vehicle_a['id']}", json={"plate": "m-xy 9"}, headers=customer_a.headers
        ),
        200,
    )
    assert changed["plate"] == "M-XY 9"


async def test_deleting_a_vehicle_without_orders(
    api: Client, vehicle_a: dict[str, Any], customer_a: ApiUser
) -> None:
    url = f"/api/vehicles/{vehicle_a['id']}"
    assert expect(await api.delete(url, headers=customer_a.headers), 204) is None
    assert expect(await api.get(url, headers=customer_a.headers), 404)["code"] == "not_found"
    assert expect(await api.get("/api/vehicles", headers=customer_a.headers), 200) == []


async def test_a_vehicle_with_orders_cannot_be_deleted(
    api: Client, order_a: dict[str, Any], vehicle_a: dict[str, Any], customer_a: ApiUser
) -> None:
    url = f"/api/vehicles/{vehicle_a['id']}"
    error = expect(await api.delete(url, headers=customer_a.headers), 409)
    assert error["code"] == "vehicle_in_use"
    expect(await api.get(url, headers=customer_a.headers), 200)


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_someone_elses_vehicle_is_not_found(
    api: Client, vehicle_a: dict[str, Any], customer_b: ApiUser, method: str
) -> None:
    kwargs: dict[str, Any] = {"json": {"color": "blue"}} if method == "PATCH" else {}
    response = await api.request(
        method, f"/api/vehicles/{vehicle_a['id']}", headers=customer_b.headers, **kwargs
    )
    assert expect(response, 404) == {"code": "not_found", "message": "vehicle not found"}
