"""`GET /api/orders/{id}/track`: the washer's recorded path, for the dashboard's drill-down
and for the people on the order while the washer is on the way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect
from tests.support.polling import poll_until

Client = AsyncTestClient[Litestar]
ADDRESS_LAT, ADDRESS_LNG = 52.52, 13.405


def fixes_towards_the_address(count: int) -> list[dict[str, Any]]:
    """A washer driving south towards the order, one fix every 10 s, ending a minute ago."""
    start = datetime.now(UTC) - timedelta(seconds=60 + 10 * count)
    return [
        {
            "lat": ADDRESS_LAT + 0.001 * (count - k),
            "lng": ADDRESS_LNG,
            "ts": (start + timedelta(seconds=10 * k)).isoformat(),
            "speed": 9.0,
            "heading": 180.0,
        }
        for k in range(count)
    ]


async def recorded_track(api: Client, user: ApiUser, order_id: int, count: int) -> list[Any]:
    """Track points are written in batches every couple of seconds: wait for them."""

    async def track() -> list[Any]:
        return list(
            expect(await api.get(f"/api/orders/{order_id}/track", headers=user.headers), 200)
        )

    return await poll_until(track, lambda points: len(points) >= count, every=0.2)


async def test_the_track_is_the_washers_fixes_for_the_order_oldest_first(
    api: Client,
    admin: ApiUser,
    customer_a: ApiUser,
    washer: ApiUser,
    other_washer: ApiUser,
    order_a: dict[str, Any],
    advance: Any,
) -> None:
    order_id = order_a["id"]
    await advance(order_id, washer, "en_route")
    sent = fixes_towards_the_address(4)
    upload = await api.post(
        "/api/washers/me/location", headers=washer.headers, json={"fixes": sent}
    )
    assert expect(upload, 200)["accepted"] == 4
    points = await recorded_track(api, admin, order_id, 4)
    # Kept to six decimals (about 0.1 m), as every coordinate Washline stores and sends.
    assert [(p["lat"], p["lng"]) for p in points] == [
        (round(f["lat"], 6), round(f["lng"], 6)) for f in sent
    ]
    assert [p["recorded_at"] for p in points] == sorted(p["recorded_at"] for p in points)
    assert points[0]["speed"] == 9.0

    assert (
        len(expect(await api.get(f"/api/orders/{order_id}/track", headers=washer.headers), 200))
        == 4
    )
    assert (
        len(expect(await api.get(f"/api/orders/{order_id}/track", headers=customer_a.headers), 200))
        == 4
    )
    stranger = await api.get(f"/api/orders/{order_id}/track", headers=other_washer.headers)
    assert stranger.status_code == 404


async def test_the_customer_sees_the_track_only_while_the_washer_is_on_the_way(
    api: Client,
    admin: ApiUser,
    customer_a: ApiUser,
    washer: ApiUser,
    order_a: dict[str, Any],
    advance: Any,
) -> None:
    order_id = order_a["id"]
    await advance(order_id, washer, "completed")
    refused = await api.get(f"/api/orders/{order_id}/track", headers=customer_a.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "track_unavailable"
    assert expect(await api.get(f"/api/orders/{order_id}/track", headers=admin.headers), 200) == []
    missing = await api.get("/api/orders/999999/track", headers=admin.headers)
    assert missing.status_code == 404
