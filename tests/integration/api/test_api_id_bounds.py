"""Numbers past their column's range are a 400 naming the parameter, never a 500.

Ids are bigints and per-order sequences are integers: a larger number sent on to PostgreSQL
makes the driver fail. Each case here answered 500 (or, on SQLite, quietly matched nothing).
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]

INT4_PAST = 2**31
BIGINT_PAST = 2**63


def assert_names(response: Any, field: str, source: str) -> None:
    body = expect(response, 400)
    assert body["code"] == "validation_error", body
    assert {"field": field, "source": source} in [
        {"field": e["field"], "source": e["source"]} for e in body["errors"]
    ], body


@pytest.mark.parametrize("cursor", ["after", "before"])
async def test_a_chat_cursor_past_an_integer_is_refused(
    api: Client, customer_a: ApiUser, order_a: dict[str, Any], cursor: str
) -> None:
    path = f"/api/orders/{order_a['id']}/messages?{cursor}={INT4_PAST}"
    assert_names(await api.get(path, headers=customer_a.headers), cursor, "query")


async def test_the_largest_chat_cursor_is_still_accepted(
    api: Client, customer_a: ApiUser, order_a: dict[str, Any]
) -> None:
    path = f"/api/orders/{order_a['id']}/messages?after={INT4_PAST - 1}"
    assert expect(await api.get(path, headers=customer_a.headers), 200)["items"] == []


@pytest.mark.parametrize("field", ["customer_id", "washer_id"])
@pytest.mark.parametrize("value", [str(BIGINT_PAST), "99999999999999999999"])
async def test_an_order_filter_past_a_bigint_is_refused(
    api: Client, admin: ApiUser, field: str, value: str
) -> None:
    assert_names(
        await api.get(f"/api/orders?{field}={value}", headers=admin.headers), field, "query"
    )


@pytest.mark.parametrize("value", ["0", "-1", str(BIGINT_PAST)])
async def test_the_order_event_stream_bounds_its_order_id(
    api: Client, customer_a: ApiUser, value: str
) -> None:
    response = await api.get(f"/api/orders/{value}/events", headers=customer_a.headers)
    assert_names(response, "order_id", "path")


async def test_a_read_receipt_past_an_integer_is_refused(
    api: Client, customer_a: ApiUser, order_a: dict[str, Any]
) -> None:
    path = f"/api/orders/{order_a['id']}/messages/read"
    response = await api.post(path, json={"up_to": INT4_PAST}, headers=customer_a.headers)
    assert_names(response, "up_to", "body")


async def test_an_expected_version_past_an_integer_is_refused(
    api: Client, customer_a: ApiUser, order_a: dict[str, Any]
) -> None:
    body = {"to": "cancelled", "expected_version": INT4_PAST}
    response = await api.post(
        f"/api/orders/{order_a['id']}/transitions", json=body, headers=customer_a.headers
    )
    assert_names(response, "expected_version", "body")


@pytest.mark.parametrize("value", ["0", str(BIGINT_PAST), "99999999999999999999"])
async def test_the_admin_user_lookup_bounds_its_user_id(
    api: Client, admin: ApiUser, value: str
) -> None:
    response = await api.get(f"/api/admin/users/{value}", headers=admin.headers)
    assert_names(response, "user_id", "path")
