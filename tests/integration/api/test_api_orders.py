"""Orders over HTTP: booking and pricing, scoped listing, detail with history, transitions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]
Order = dict[str, Any]


async def detail(api: Client, user: ApiUser, order_id: int) -> dict[str, Any]:
    return expect(await api.get(f"/api/orders/{order_id}", headers=user.headers), 200)  # type: ignore[no-any-return]


async def listed_ids(api: Client, user: ApiUser, query: str = "") -> list[int]:
    page = expect(await api.get(f"/api/orders{query}", headers=user.headers), 200)
    return [item["id"] for item in page["items"]]


# --- booking -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected_price_cents"),
    [("small", 1999), ("medium", 2299), ("large", 2599), ("xl", 2999)],
)
async def test_price_is_the_package_base_price_scaled_by_vehicle_size(
    api: Client,
    customer_a: ApiUser,
    make_package: Any,
    make_vehicle: Any,
    size: str,
    expected_price_cents: int,
) -> None:
    package = await make_package("Full detail", base_price_cents=1999)
    vehicle = await make_vehicle(customer_a, size=size)
    body = {
        "vehicle_id": vehicle["id"],
        "package_id": package["id"],
        "address": "12 Harbour Street",
        "lat": 52.52,
        "lng": 13.405,
    }
    order = expect(await api.post("/api/orders", json=body, headers=customer_a.headers), 201)
    assert order["price_cents"] == expected_price_cents
    assert order["package_id"] == package["id"]


async def test_a_new_order_is_pending_unassigned_and_has_one_event(
    order_a: Order, customer_a: ApiUser, vehicle_a: dict[str, Any]
) -> None:
    assert order_a["status"] == "pending"
    assert order_a["customer_id"] == customer_a.id
    assert order_a["vehicle_id"] == vehicle_a["id"]
    assert order_a["washer_id"] is None
    assert order_a["seq"] == 1
    assert order_a["address"] == "12 Harbour Street"


async def test_booking_keeps_schedule_and_notes(make_order: Any, customer_a: ApiUser) -> None:
    # A day within the booking window (domain.schedule), at 09:30 UTC.
    day = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    order = await make_order(customer_a, scheduled_for=f"{day}T09:30:00Z", notes="Gate code 4711")
    assert order["scheduled_for"].startswith(f"{day}T09:30:00")
    assert order["notes"] == "Gate code 4711"


async def test_booking_with_someone_elses_vehicle_is_not_found(
    api: Client, customer_b: ApiUser, vehicle_a: dict[str, Any], package: dict[str, Any]
) -> None:
    body = {"vehicle_id": vehicle_a["id"], "package_id": package["id"], "address": "1 Elm Row"}
    body |= {"lat": 1.0, "lng": 2.0}
    error = expect(await api.post("/api/orders", json=body, headers=customer_b.headers), 404)
    assert error == {"code": "not_found", "message": "vehicle not found"}


@pytest.mark.parametrize("package_state", ["inactive", "unknown"])
async def test_booking_an_inactive_or_unknown_package_is_not_found(
    api: Client,
    customer_a: ApiUser,
    vehicle_a: dict[str, Any],
    make_package: Any,
    package_state: str,
) -> None:
    package_id = 999_999
    if package_state == "inactive":
        package_id = (await make_package("Retired wax", is_active=False))["id"]
    body = {"vehicle_id": vehicle_a["id"], "package_id": package_id, "address": "1 Elm Row"}
    body |= {"lat": 1.0, "lng": 2.0}
    error = expect(await api.post("/api/orders", json=body, headers=customer_a.headers), 404)
    assert error == {"code": "not_found", "message": "package not found"}


# --- listing -----------------------------------------------------------------------------


async def test_customers_list_only_their_own_orders_newest_first(
    api: Client, make_order: Any, customer_a: ApiUser, customer_b: ApiUser
) -> None:
    first = await make_order(customer_a)
    await make_order(customer_b)
    second = await make_order(customer_a)
    page = expect(await api.get("/api/orders", headers=customer_a.headers), 200)
    assert [o["id"] for o in page["items"]] == [second["id"], first["id"]]
    assert (page["total"], page["limit"], page["offset"]) == (2, 20, 0)


async def test_a_customer_cannot_widen_the_list_with_admin_filters(
    api: Client, make_order: Any, customer_a: ApiUser, customer_b: ApiUser
) -> None:
    own = await make_order(customer_a)
    await make_order(customer_b)
    assert await listed_ids(api, customer_a, f"?customer_id={customer_b.id}") == [own["id"]]


async def test_washers_list_only_orders_assigned_to_them(
    api: Client,
    make_order: Any,
    advance: Any,
    customer_a: ApiUser,
    washer: ApiUser,
    other_washer: ApiUser,
) -> None:
    mine = await make_order(customer_a)
    theirs = await make_order(customer_a)
    await make_order(customer_a)  # still pending: offered through dispatch, not listed
    await advance(mine["id"], washer, "assigned")
    await advance(theirs["id"], other_washer, "assigned")
    assert await listed_ids(api, washer) == [mine["id"]]
    assert await listed_ids(api, other_washer) == [theirs["id"]]


async def test_admins_list_every_order_and_may_filter_by_customer_and_washer(
    api: Client,
    make_order: Any,
    advance: Any,
    customer_a: ApiUser,
    customer_b: ApiUser,
    washer: ApiUser,
    admin: ApiUser,
) -> None:
    a_order = await make_order(customer_a)
    b_order = await make_order(customer_b)
    await advance(b_order["id"], washer, "assigned")
    assert await listed_ids(api, admin) == [b_order["id"], a_order["id"]]
    assert await listed_ids(api, admin, f"?customer_id={customer_a.id}") == [a_order["id"]]
    assert await listed_ids(api, admin, f"?washer_id={washer.id}") == [b_order["id"]]


async def test_status_filter_accepts_one_or_several_statuses(
    api: Client, make_order: Any, move: Any, advance: Any, customer_a: ApiUser, washer: ApiUser
) -> None:
    pending = await make_order(customer_a)
    cancelled = await make_order(customer_a)
    assigned = await make_order(customer_a)
    expect(await move(customer_a, cancelled["id"], "cancelled"), 200)
    await advance(assigned["id"], washer, "assigned")

    assert await listed_ids(api, customer_a, "?status=pending") == [pending["id"]]
    both = await listed_ids(api, customer_a, "?status=pending&status=cancelled")
    assert both == [cancelled["id"], pending["id"]]
    page = expect(await api.get("/api/orders?status=completed", headers=customer_a.headers), 200)
    assert page == {"items": [], "total": 0, "limit": 20, "offset": 0}


async def test_limit_and_offset_page_through_the_list_with_a_stable_total(
    api: Client, make_order: Any, customer_a: ApiUser
) -> None:
    ids = [(await make_order(customer_a))["id"] for _ in range(5)]
    newest_first = ids[::-1]
    pages = []
    for offset in (0, 2, 4, 6):
        page = expect(
            await api.get(f"/api/orders?limit=2&offset={offset}", headers=customer_a.headers), 200
        )
        assert (page["total"], page["limit"], page["offset"]) == (5, 2, offset)
        pages.append([item["id"] for item in page["items"]])
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:], []]


# --- detail ------------------------------------------------------------------------------


async def test_detail_shows_the_order_its_history_and_what_the_caller_may_do(
    api: Client, order_a: Order, customer_a: ApiUser
) -> None:
    body = await detail(api, customer_a, order_a["id"])
    assert body["order"]["id"] == order_a["id"]
    assert body["order"]["seq"] == 1
    assert [(e["seq"], e["from_status"], e["to_status"]) for e in body["events"]] == [
        (1, None, "pending")
    ]
    assert body["events"][0]["actor_id"] == customer_a.id
    assert body["events"][0]["actor_role"] == "customer"
    assert body["allowed_transitions"] == ["cancelled"]


async def test_allowed_transitions_depend_on_the_caller(
    api: Client,
    assigned_order: Order,
    customer_a: ApiUser,
    washer: ApiUser,
    admin: ApiUser,
) -> None:
    order_id = assigned_order["id"]
    assert (await detail(api, customer_a, order_id))["allowed_transitions"] == ["cancelled"]
    assert (await detail(api, washer, order_id))["allowed_transitions"] == ["en_route", "pending"]
    assert (await detail(api, admin, order_id))["allowed_transitions"] == [
        "arrived",
        "cancelled",
        "completed",
        "en_route",
        "in_progress",
        "no_show",
        "pending",
    ]


# --- transitions -------------------------------------------------------------------------


async def test_happy_path_from_booking_to_completion_records_every_step(
    api: Client, order_a: Order, move: Any, offer: Any, customer_a: ApiUser, washer: ApiUser
) -> None:
    order_id = order_a["id"]
    await offer(order_id, washer)
    for expected_seq, status in enumerate(
        ["assigned", "en_route", "arrived", "in_progress", "completed"], start=2
    ):
        moved = expect(await move(washer, order_id, status), 200)
        assert (moved["status"], moved["seq"], moved["washer_id"]) == (
            status,
            expected_seq,
            washer.id,
        )

    body = await detail(api, customer_a, order_id)
    assert body["order"]["status"] == "completed"
    assert body["order"]["seq"] == 6
    assert [
        (e["seq"], e["from_status"], e["to_status"], e["actor_role"], e["actor_id"])
        for e in body["events"]
    ] == [
        (1, None, "pending", "customer", customer_a.id),
        (2, "pending", "assigned", "washer", washer.id),
        (3, "assigned", "en_route", "washer", washer.id),
        (4, "en_route", "arrived", "washer", washer.id),
        (5, "arrived", "in_progress", "washer", washer.id),
        (6, "in_progress", "completed", "washer", washer.id),
    ]
    assert body["allowed_transitions"] == []
    occurred = [e["occurred_at"] for e in body["events"]]
    assert occurred == sorted(occurred)


@pytest.mark.parametrize("from_status", ["pending", "assigned", "en_route", "arrived"])
async def test_customer_may_cancel_before_the_wash_starts(
    api: Client,
    order_a: Order,
    advance: Any,
    move: Any,
    customer_a: ApiUser,
    washer: ApiUser,
    from_status: str,
) -> None:
    if from_status != "pending":
        await advance(order_a["id"], washer, from_status)
    cancelled = expect(
        await move(customer_a, order_a["id"], "cancelled", reason="plans changed"), 200
    )
    assert cancelled["status"] == "cancelled"
    last = (await detail(api, customer_a, order_a["id"]))["events"][-1]
    assert (last["from_status"], last["to_status"]) == (from_status, "cancelled")
    assert (last["actor_role"], last["reason"]) == ("customer", "plans changed")


async def test_customer_may_not_cancel_once_the_wash_is_in_progress(
    order_a: Order, advance: Any, move: Any, customer_a: ApiUser, washer: ApiUser
) -> None:
    await advance(order_a["id"], washer, "in_progress")
    error = expect(await move(customer_a, order_a["id"], "cancelled"), 403)
    assert error["code"] == "forbidden"


async def test_admin_assigns_a_pending_order_to_a_chosen_washer(
    api: Client, order_a: Order, move: Any, admin: ApiUser, other_washer: ApiUser
) -> None:
    assigned = expect(await move(admin, order_a["id"], "assigned", washer_id=other_washer.id), 200)
    assert (assigned["status"], assigned["washer_id"]) == ("assigned", other_washer.id)
    event = (await detail(api, admin, order_a["id"]))["events"][-1]
    assert (event["actor_role"], event["actor_id"], event["to_status"]) == (
        "admin",
        admin.id,
        "assigned",
    )
    assert await listed_ids(api, other_washer) == [order_a["id"]]


async def test_admin_assignment_needs_a_washer(order_a: Order, move: Any, admin: ApiUser) -> None:
    error = expect(await move(admin, order_a["id"], "assigned"), 400)
    assert error["code"] == "washer_required"


async def test_admin_cannot_assign_an_order_to_a_customer(
    order_a: Order, move: Any, admin: ApiUser, customer_b: ApiUser
) -> None:
    error = expect(await move(admin, order_a["id"], "assigned", washer_id=customer_b.id), 400)
    assert error["code"] == "unknown_washer"


async def test_washer_may_not_pick_another_washer_when_accepting(
    order_a: Order, move: Any, offer: Any, washer: ApiUser, other_washer: ApiUser
) -> None:
    await offer(order_a["id"], washer)
    error = expect(await move(washer, order_a["id"], "assigned", washer_id=other_washer.id), 403)
    assert error["code"] == "forbidden"


async def test_washer_releases_an_order_back_to_pending_for_someone_else(
    api: Client,
    assigned_order: Order,
    move: Any,
    offer: Any,
    washer: ApiUser,
    other_washer: ApiUser,
) -> None:
    order_id = assigned_order["id"]
    released = expect(await move(washer, order_id, "pending", reason="flat tyre"), 200)
    assert (released["status"], released["washer_id"]) == ("pending", None)
    assert await listed_ids(api, washer) == []
    await offer(order_id, other_washer)
    retaken = expect(await move(other_washer, order_id, "assigned"), 200)
    assert retaken["washer_id"] == other_washer.id


async def test_washer_cannot_skip_steps(assigned_order: Order, move: Any, washer: ApiUser) -> None:
    error = expect(await move(washer, assigned_order["id"], "in_progress"), 403)
    assert error["code"] == "forbidden"


@pytest.mark.parametrize("target", ["pending", "assigned", "completed"])
async def test_nothing_leaves_a_cancelled_order(
    order_a: Order, move: Any, customer_a: ApiUser, admin: ApiUser, target: str
) -> None:
    expect(await move(customer_a, order_a["id"], "cancelled"), 200)
    error = expect(await move(admin, order_a["id"], target), 409)
    assert error["code"] == "invalid_transition"


async def test_moving_to_the_current_status_is_an_invalid_transition(
    assigned_order: Order, move: Any, washer: ApiUser
) -> None:
    error = expect(await move(washer, assigned_order["id"], "assigned"), 409)
    assert error["code"] == "invalid_transition"


async def test_no_show_before_the_waiting_time_is_an_invalid_transition(
    order_a: Order, advance: Any, move: Any, washer: ApiUser
) -> None:
    await advance(order_a["id"], washer, "arrived")
    error = expect(await move(washer, order_a["id"], "no_show"), 409)
    assert error["code"] == "invalid_transition"
    assert "15 minutes" in error["message"]


async def test_an_admin_cannot_finish_an_order_that_never_had_a_washer(
    api: Client, order_a: Order, move: Any, admin: ApiUser
) -> None:
    order_id = order_a["id"]
    for to in ("completed", "no_show"):
        error = expect(await move(admin, order_id, to), 409)
        assert error["code"] == "invalid_transition", error
    seen = await detail(api, admin, order_id)
    assert (seen["order"]["status"], seen["order"]["washer_id"]) == ("pending", None)
    assert "completed" not in seen["allowed_transitions"]
    assert expect(await move(admin, order_id, "cancelled"), 200)["status"] == "cancelled"


async def test_a_no_show_stays_finished_even_for_an_admin(
    api: Client, order_a: Order, advance: Any, move: Any, admin: ApiUser, washer: ApiUser
) -> None:
    order_id = order_a["id"]
    await advance(order_id, washer, "arrived")
    assert expect(await move(admin, order_id, "no_show"), 200)["status"] == "no_show"
    for to in ("arrived", "cancelled", "completed"):
        error = expect(await move(admin, order_id, to), 409)
        assert error["code"] == "invalid_transition", error
    seen = await detail(api, admin, order_id)
    assert (seen["order"]["status"], seen["allowed_transitions"]) == ("no_show", [])


async def test_two_washers_racing_for_one_order_one_wins_and_one_gets_409(
    api: Client,
    concurrent_api: Callable[[], AbstractAsyncContextManager[AsyncClient]],
    order_a: Order,
    customer_a: ApiUser,
    offer: Any,
    washer: ApiUser,
    other_washer: ApiUser,
) -> None:
    await offer(order_a["id"], washer, other_washer)
    url = f"/api/orders/{order_a['id']}/transitions"
    async with concurrent_api() as client:
        responses = await asyncio.gather(
            *(
                client.post(url, json={"to": "assigned"}, headers=racer.headers)
                for racer in (washer, other_washer)
            )
        )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    loser = next(r for r in responses if r.status_code == 409).json()
    assert winner["washer_id"] in {washer.id, other_washer.id}
    assert loser["code"] in {"conflict", "offer_unavailable"}
    body = await detail(api, customer_a, order_a["id"])
    assert [e["to_status"] for e in body["events"]] == ["pending", "assigned"]


async def test_expected_version_guards_against_stale_writes(
    api: Client, order_a: Order, move: Any, offer: Any, customer_a: ApiUser, washer: ApiUser
) -> None:
    await offer(order_a["id"], washer)
    seen_version = order_a["version"]
    expect(await move(washer, order_a["id"], "assigned", expected_version=seen_version), 200)
    error = expect(
        await move(customer_a, order_a["id"], "cancelled", expected_version=seen_version), 409
    )
    assert error["code"] == "version_conflict"
    current = (await detail(api, customer_a, order_a["id"]))["order"]
    assert error["version"] == current["version"] != seen_version
    assert current["status"] == "assigned"
    expect(
        await move(customer_a, order_a["id"], "cancelled", expected_version=current["version"]),
        200,
    )


async def test_a_move_that_closes_offers_steps_the_version_once(
    api: Client,
    order_a: Order,
    move: Any,
    offer: Any,
    washer: ApiUser,
    other_washer: ApiUser,
) -> None:
    """The order's row is written once per move, at its commit: reading the offers to close
    does not write it early, so a client's version moves by one step per event."""
    await offer(order_a["id"], washer, other_washer)
    assigned = expect(await move(washer, order_a["id"], "assigned"), 200)
    assert assigned["version"] == order_a["version"] + 1
    on_the_way = expect(await move(washer, order_a["id"], "en_route"), 200)
    assert on_the_way["version"] == assigned["version"] + 1
    history = (await detail(api, washer, order_a["id"]))["events"]
    assert [event["to_status"] for event in history] == ["pending", "assigned", "en_route"]


async def test_accepting_an_order_someone_else_just_took_is_a_conflict(
    order_a: Order, move: Any, offer: Any, washer: ApiUser, other_washer: ApiUser
) -> None:
    await offer(order_a["id"], washer, other_washer)
    expect(await move(washer, order_a["id"], "assigned"), 200)
    error = expect(await move(other_washer, order_a["id"], "assigned"), 409)
    assert error["code"] in {"conflict", "offer_unavailable", "invalid_transition"}
