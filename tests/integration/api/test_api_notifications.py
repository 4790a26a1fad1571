"""The caller's notifications: written with each order change (and each dispatch offer) they
concern, listed newest first, counted while unread, marked read up to an id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect
from tests.support.polling import poll_until

Client = AsyncTestClient[Litestar]
Order = dict[str, Any]
URL = "/api/me/notifications"


async def notifications(api: Client, user: ApiUser, **params: Any) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = expect(
        await api.get(URL, params=params, headers=user.headers), 200
    )
    return listed


async def unread(api: Client, user: ApiUser) -> int:
    body = expect(await api.get(f"{URL}/unread-count", headers=user.headers), 200)
    return int(body["unread"])


async def mark_read(api: Client, user: ApiUser, up_to_id: int) -> int:
    response = await api.post(f"{URL}/read", json={"up_to_id": up_to_id}, headers=user.headers)
    return int(expect(response, 200)["unread"])


def summary(items: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    return [(n["kind"], n["payload"]["order_id"], n["payload"]["status"]) for n in items]


async def test_a_customer_is_told_of_each_change_to_its_order_newest_first(
    api: Client, order_a: Order, advance: Any, customer_a: ApiUser, washer: ApiUser
) -> None:
    order_id = order_a["id"]
    await advance(order_id, washer, "en_route")

    listed = await notifications(api, customer_a)
    assert summary(listed) == [
        ("order.status", order_id, "en_route"),
        ("order.status", order_id, "assigned"),
        ("order.created", order_id, "pending"),
    ]
    ids = [n["id"] for n in listed]
    assert ids == sorted(ids, reverse=True)
    assert [n["read_at"] for n in listed] == [None, None, None]
    assert listed[0]["payload"]["washer_id"] == washer.id
    assert await unread(api, customer_a) == 3


async def test_the_washer_is_told_of_the_changes_to_its_order(
    api: Client, order_a: Order, advance: Any, washer: ApiUser, other_washer: ApiUser
) -> None:
    order_id = order_a["id"]
    await advance(order_id, washer, "arrived")
    assert summary(await notifications(api, washer)) == [
        ("order.status", order_id, "arrived"),
        ("order.status", order_id, "en_route"),
        ("order.status", order_id, "assigned"),
    ]
    assert await notifications(api, other_washer) == []


async def test_nobody_else_sees_a_customers_notifications(
    api: Client,
    order_a: Order,
    advance: Any,
    customer_a: ApiUser,
    customer_b: ApiUser,
    washer: ApiUser,
    admin: ApiUser,
) -> None:
    await advance(order_a["id"], washer, "completed")
    assert len(await notifications(api, customer_a)) == 6
    for outsider in (customer_b, admin):
        assert await notifications(api, outsider) == []
        assert await unread(api, outsider) == 0
    customer_ids = {n["id"] for n in await notifications(api, customer_a)}
    assert customer_ids.isdisjoint(n["id"] for n in await notifications(api, washer))


async def test_marking_read_up_to_an_id_lowers_the_unread_count(
    api: Client, order_a: Order, advance: Any, customer_a: ApiUser, washer: ApiUser
) -> None:
    await advance(order_a["id"], washer, "arrived")
    newest_first = [n["id"] for n in await notifications(api, customer_a)]
    assert await unread(api, customer_a) == 4

    assert await mark_read(api, customer_a, newest_first[2]) == 2  # the two oldest
    assert await unread(api, customer_a) == 2
    listed = await notifications(api, customer_a)
    assert [n["read_at"] is not None for n in listed] == [False, False, True, True]
    unread_only = await notifications(api, customer_a, unread_only=True)
    assert [n["id"] for n in unread_only] == newest_first[:2]

    first_read_at = listed[-1]["read_at"]
    assert await mark_read(api, customer_a, newest_first[0]) == 0
    assert await notifications(api, customer_a, unread_only=True) == []
    assert (await notifications(api, customer_a))[-1]["read_at"] == first_read_at  # kept


async def test_new_notifications_arrive_unread_after_a_mark_read(
    api: Client, order_a: Order, advance: Any, move: Any, customer_a: ApiUser, washer: ApiUser
) -> None:
    await advance(order_a["id"], washer, "assigned")
    newest = (await notifications(api, customer_a))[0]["id"]
    assert await mark_read(api, customer_a, newest) == 0
    expect(await move(washer, order_a["id"], "en_route"), 200)
    assert await unread(api, customer_a) == 1
    assert summary(await notifications(api, customer_a, unread_only=True)) == [
        ("order.status", order_a["id"], "en_route")
    ]


async def test_marking_read_touches_only_the_callers_notifications(
    api: Client, order_a: Order, advance: Any, customer_a: ApiUser, washer: ApiUser
) -> None:
    await advance(order_a["id"], washer, "assigned")
    assert await mark_read(api, washer, 2**62) == 0
    assert await unread(api, washer) == 0
    assert await unread(api, customer_a) == 2
    assert all(n["read_at"] is None for n in await notifications(api, customer_a))


async def test_pages_go_back_in_time_with_before(
    api: Client, order_a: Order, advance: Any, customer_a: ApiUser, washer: ApiUser
) -> None:
    await advance(order_a["id"], washer, "completed")
    everything = [n["id"] for n in await notifications(api, customer_a)]
    assert len(everything) == 6

    pages: list[list[int]] = []
    before: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 4} if before is None else {"limit": 4, "before": before}
        page = [n["id"] for n in await notifications(api, customer_a, **params)]
        if not page:
            break
        pages.append(page)
        before = page[-1]
    assert pages == [everything[:4], everything[4:]]


async def test_before_and_unread_only_combine(
    api: Client, order_a: Order, advance: Any, customer_a: ApiUser, washer: ApiUser
) -> None:
    await advance(order_a["id"], washer, "in_progress")
    ids = [n["id"] for n in await notifications(api, customer_a)]  # five, newest first
    await mark_read(api, customer_a, ids[3])  # the two oldest are read
    page = await notifications(api, customer_a, unread_only=True, before=ids[0], limit=10)
    assert [n["id"] for n in page] == ids[1:3]


async def test_a_washer_who_loses_an_offer_is_told(
    api: Client, order_a: Order, offer: Any, move: Any, washer: ApiUser, other_washer: ApiUser
) -> None:
    await offer(order_a["id"], washer, other_washer)
    expect(await move(washer, order_a["id"], "assigned"), 200)
    told = await notifications(api, other_washer)
    assert [(n["kind"], n["payload"]["order_id"]) for n in told] == [
        ("dispatch.offer_withdrawn", order_a["id"])
    ]
    assert told[0]["payload"]["status"] == "withdrawn"
    assert await unread(api, other_washer) == 1


async def test_the_dispatcher_offers_a_nearby_washer_the_order_by_notification(
    api: Client, order_a: Order, customer_a: ApiUser, washer: ApiUser, other_washer: ApiUser
) -> None:
    """Dispatch runs in the background: a washer on duty near the order gets an offer."""
    for on_duty in (washer, other_washer):
        response = await api.put(
            "/api/washers/me/availability", json={"is_available": True}, headers=on_duty.headers
        )
        expect(response, 200)
    near = {"lat": order_a["lat"] + 0.003, "lng": order_a["lng"], "ts": _now()}
    far = {"lat": order_a["lat"] + 1.0, "lng": order_a["lng"], "ts": _now()}  # ~110 km north
    for who, fix in ((washer, near), (other_washer, far)):
        response = await api.post(
            "/api/washers/me/location", json={"fixes": [fix]}, headers=who.headers
        )
        assert expect(response, 200)["accepted"] == 1

    offers = await poll_for_kind(api, washer, "dispatch.offer")
    assert [(n["payload"]["order_id"], n["read_at"]) for n in offers] == [(order_a["id"], None)]
    assert 250 < offers[0]["payload"]["distance_m"] < 400
    assert await notifications(api, other_washer) == []
    assert {n["kind"] for n in await notifications(api, customer_a)} == {"order.created"}


async def test_anonymous_callers_are_401(api: Client) -> None:
    answers = [
        await api.get(URL),
        await api.get(f"{URL}/unread-count"),
        await api.post(f"{URL}/read", json={"up_to_id": 1}),
    ]
    assert [r.status_code for r in answers] == [401, 401, 401]
    assert {r.json()["code"] for r in answers} == {"unauthorized"}


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"before": 0}, {"unread_only": "maybe"}],
    ids=["limit-0", "limit-101", "before-0", "unread-only-not-a-bool"],
)
async def test_bad_list_parameters_are_validation_errors(
    api: Client, customer_a: ApiUser, params: dict[str, Any]
) -> None:
    error = expect(await api.get(URL, params=params, headers=customer_a.headers), 400)
    assert error["code"] == "validation_error"
    assert [e["field"] for e in error["errors"]] == list(params)


@pytest.mark.parametrize(
    "body",
    [{"up_to_id": -1}, {"up_to_id": "all"}, {}, {"up_to_id": 1, "ids": [1]}],
    ids=["negative", "word", "missing", "unknown-field"],
)
async def test_a_bad_mark_read_is_a_validation_error(
    api: Client, customer_a: ApiUser, body: dict[str, Any]
) -> None:
    response = await api.post(f"{URL}/read", json=body, headers=customer_a.headers)
    assert expect(response, 400)["code"] == "validation_error"


def _now() -> str:
    return (datetime.now(UTC) - timedelta(seconds=1)).isoformat()


async def poll_for_kind(api: Client, user: ApiUser, kind: str) -> list[dict[str, Any]]:
    """The user's notifications of `kind`, waiting (up to 15 s) until there is one."""

    async def of_kind() -> list[dict[str, Any]]:
        return [n for n in await notifications(api, user) if n["kind"] == kind]

    return await poll_until(of_kind, bool)
