"""A refused move on someone else's order reads exactly like a move on no order at all."""

from __future__ import annotations

from typing import Any

from tests.support.api import ApiUser, expect

MISSING_ORDER_ID = 987_654


async def test_a_washer_moving_a_pending_order_not_theirs_gets_the_missing_orders_404(
    move: Any, washer: ApiUser, order_a: dict[str, Any]
) -> None:
    refused = expect(await move(washer, order_a["id"], "cancelled"), 404)
    missing = expect(await move(washer, MISSING_ORDER_ID, "cancelled"), 404)
    assert refused["code"] == missing["code"] == "not_found"
    assert refused["message"].replace(str(order_a["id"]), "N") == missing["message"].replace(
        str(MISSING_ORDER_ID), "N"
    )
