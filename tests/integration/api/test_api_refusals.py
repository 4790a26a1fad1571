"""Domain refusals at the HTTP edge: each kind has its status, and the body is the refusal.

Services raise `domain.errors.Refusal`s and never choose a status; `app.http.errors` maps the kind
to the status in one table. These tests pin the mapping through real endpoints, and check
that a refusal's code, message and fields are the whole body.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from app.http.errors import EXCEPTION_HANDLERS, STATUS_BY_KIND
from domain.errors import RefusalKind, Unavailable
from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]
Order = dict[str, Any]


def test_every_kind_of_refusal_has_one_status() -> None:
    assert set(STATUS_BY_KIND) == set(RefusalKind)
    assert STATUS_BY_KIND == {
        RefusalKind.INVALID: 400,
        RefusalKind.UNAUTHENTICATED: 401,
        RefusalKind.FORBIDDEN: 403,
        RefusalKind.NOT_FOUND: 404,
        RefusalKind.CONFLICT: 409,
        RefusalKind.UNPROCESSABLE: 422,
        RefusalKind.RATE_LIMITED: 429,
        RefusalKind.UNAVAILABLE: 503,
    }


async def test_an_invisible_order_is_a_not_found_refusal(
    api: Client, order_a: Order, customer_b: ApiUser
) -> None:
    response = await api.get(f"/api/orders/{order_a['id']}", headers=customer_b.headers)
    assert expect(response, 404) == {"code": "not_found", "message": "order not found"}


async def test_a_move_the_role_may_not_make_is_a_forbidden_refusal(
    move: Any, order_a: Order, customer_a: ApiUser
) -> None:
    body = expect(await move(customer_a, order_a["id"], "en_route"), 403)
    assert body == {
        "code": "forbidden",
        "message": "a customer may not move an order from pending to en_route",
    }


async def test_an_impossible_move_is_a_conflict_refusal(
    move: Any, order_a: Order, customer_a: ApiUser
) -> None:
    expect(await move(customer_a, order_a["id"], "cancelled"), 200)
    body = expect(await move(customer_a, order_a["id"], "cancelled"), 409)
    assert body == {
        "code": "invalid_transition",
        "message": "an order cannot go from cancelled to cancelled",
    }


async def test_a_missing_washer_is_an_invalid_refusal(
    move: Any, order_a: Order, admin: ApiUser
) -> None:
    body = expect(await move(admin, order_a["id"], "assigned"), 400)
    assert body == {"code": "washer_required", "message": "moving to assigned needs a washer"}


async def test_a_refusals_fields_join_the_body(
    move: Any, order_a: Order, customer_a: ApiUser
) -> None:
    stale = order_a["version"] + 1
    body = expect(await move(customer_a, order_a["id"], "cancelled", expected_version=stale), 409)
    assert body == {
        "code": "version_conflict",
        "message": "the order has changed; reload it",
        "version": order_a["version"],
    }


async def test_an_unavailable_refusal_is_a_503_with_its_code_and_message() -> None:
    @get("/busy", sync_to_thread=False)
    def busy() -> None:
        raise Unavailable("busy", "try again soon")

    app = Litestar([busy], exception_handlers=EXCEPTION_HANDLERS)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/busy")
    assert expect(response, 503) == {"code": "busy", "message": "try again soon"}
