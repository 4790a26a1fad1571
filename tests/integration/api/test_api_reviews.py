"""Reviews: one per completed order, by its customer, moving the washer's rating."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]
Order = dict[str, Any]


async def review(api: Client, user: ApiUser, order_id: int, **body: Any) -> Any:
    return await api.post(f"/api/orders/{order_id}/review", json=body, headers=user.headers)


async def washer_rating(api: Client, admin: ApiUser, washer_id: int) -> tuple[float, int]:
    body = expect(await api.get(f"/api/washers/{washer_id}", headers=admin.headers), 200)
    return body["rating_average"], body["rating_count"]


async def test_the_customer_reviews_a_completed_order(
    api: Client, completed_order: Order, customer_a: ApiUser, washer: ApiUser
) -> None:
    created = expect(
        await review(api, customer_a, completed_order["id"], stars=5, comment="Spotless"), 201
    )
    assert created["order_id"] == completed_order["id"]
    assert (created["customer_id"], created["washer_id"]) == (customer_a.id, washer.id)
    assert (created["stars"], created["comment"]) == (5, "Spotless")


async def test_a_comment_is_optional(
    api: Client, completed_order: Order, customer_a: ApiUser
) -> None:
    created = expect(await review(api, customer_a, completed_order["id"], stars=4), 201)
    assert created["comment"] is None


@pytest.mark.parametrize("stars", [1, 5])
async def test_one_and_five_stars_are_the_bounds(
    api: Client, completed_order: Order, customer_a: ApiUser, stars: int
) -> None:
    created = expect(await review(api, customer_a, completed_order["id"], stars=stars), 201)
    assert created["stars"] == stars


@pytest.mark.parametrize("stars", [0, 6, -1])
async def test_stars_outside_one_to_five_are_refused(
    api: Client, completed_order: Order, customer_a: ApiUser, stars: int
) -> None:
    error = expect(await review(api, customer_a, completed_order["id"], stars=stars), 400)
    assert error["code"] == "validation_error"
    assert [e["field"] for e in error["errors"]] == ["stars"]


async def test_a_comment_of_2000_characters_is_the_limit(
    api: Client, completed_order: Order, customer_a: ApiUser
) -> None:
    order_id = completed_order["id"]
    error = expect(await review(api, customer_a, order_id, stars=3, comment="x" * 2001), 400)
    assert (error["code"], error["errors"][0]["field"]) == ("validation_error", "comment")
    created = expect(await review(api, customer_a, order_id, stars=3, comment="x" * 2000), 201)
    assert len(created["comment"]) == 2000


async def test_an_order_is_reviewed_only_once(
    api: Client, completed_order: Order, customer_a: ApiUser, admin: ApiUser, washer: ApiUser
) -> None:
    expect(await review(api, customer_a, completed_order["id"], stars=5), 201)
    error = expect(await review(api, customer_a, completed_order["id"], stars=1), 409)
    assert error["code"] == "already_reviewed"
    assert await washer_rating(api, admin, washer.id) == (5.0, 1)


@pytest.mark.parametrize("status", ["pending", "assigned", "arrived", "in_progress"])
async def test_an_order_not_yet_completed_cannot_be_reviewed(
    api: Client,
    order_a: Order,
    advance: Any,
    customer_a: ApiUser,
    washer: ApiUser,
    status: str,
) -> None:
    if status != "pending":
        await advance(order_a["id"], washer, status)
    error = expect(await review(api, customer_a, order_a["id"], stars=4), 409)
    assert error["code"] == "order_not_completed"


async def test_a_cancelled_order_cannot_be_reviewed(
    api: Client, assigned_order: Order, move: Any, customer_a: ApiUser
) -> None:
    expect(await move(customer_a, assigned_order["id"], "cancelled"), 200)
    error = expect(await review(api, customer_a, assigned_order["id"], stars=1), 409)
    assert error["code"] == "order_not_completed"


async def test_reviews_update_the_washers_rating(
    api: Client,
    make_order: Any,
    advance: Any,
    customer_a: ApiUser,
    customer_b: ApiUser,
    washer: ApiUser,
    other_washer: ApiUser,
    admin: ApiUser,
) -> None:
    assert await washer_rating(api, admin, washer.id) == (0.0, 0)
    first = await make_order(customer_a)
    second = await make_order(customer_b)
    for order in (first, second):
        await advance(order["id"], washer, "completed")

    expect(await review(api, customer_a, first["id"], stars=5), 201)
    assert await washer_rating(api, admin, washer.id) == (5.0, 1)
    expect(await review(api, customer_b, second["id"], stars=2), 201)
    assert await washer_rating(api, admin, washer.id) == (3.5, 2)
    assert await washer_rating(api, admin, other_washer.id) == (0.0, 0)


async def test_the_review_is_readable_by_customer_washer_and_admin(
    api: Client, completed_order: Order, customer_a: ApiUser, washer: ApiUser, admin: ApiUser
) -> None:
    created = expect(await review(api, customer_a, completed_order["id"], stars=4), 201)
    url = f"/api/orders/{completed_order['id']}/review"
    for reader in (customer_a, washer, admin):
        assert expect(await api.get(url, headers=reader.headers), 200) == created


async def test_an_order_without_a_review_answers_404(
    api: Client, completed_order: Order, customer_a: ApiUser
) -> None:
    url = f"/api/orders/{completed_order['id']}/review"
    body = expect(await api.get(url, headers=customer_a.headers), 404)
    assert body == {"code": "not_found", "message": "review not found"}


async def test_a_washers_reviews_are_listed_newest_first_and_paged(
    api: Client,
    make_order: Any,
    advance: Any,
    customer_a: ApiUser,
    customer_b: ApiUser,
    washer: ApiUser,
) -> None:
    orders = [await make_order(customer_a), await make_order(customer_b)]
    for order in orders:
        await advance(order["id"], washer, "completed")
    expect(await review(api, customer_a, orders[0]["id"], stars=3, comment="ok"), 201)
    expect(await review(api, customer_b, orders[1]["id"], stars=5, comment="great"), 201)

    url = f"/api/washers/{washer.id}/reviews"
    listed = expect(await api.get(url, headers=customer_a.headers), 200)
    assert all("customer_id" not in r for r in listed)  # reviewers stay anonymous
    assert [(r["order_id"], r["stars"]) for r in listed] == [
        (orders[1]["id"], 5),
        (orders[0]["id"], 3),
    ]
    second_page = expect(await api.get(f"{url}?limit=1&offset=1", headers=washer.headers), 200)
    assert [r["order_id"] for r in second_page] == [orders[0]["id"]]


async def test_a_washer_without_reviews_has_an_empty_list(
    api: Client, washer: ApiUser, customer_a: ApiUser
) -> None:
    url = f"/api/washers/{washer.id}/reviews"
    assert expect(await api.get(url, headers=customer_a.headers), 200) == []
