"""A washer's fixes over REST and the WebSocket follow the same rules and give the same answers.

A fix outside the service area used to be accepted over REST without becoming the washer's
position, yet it became the reference of the speed check, so every later fix in the area
was refused as `implausible_speed`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.settings import Settings
from tests.support.api import ApiUser, expect
from tests.support.in_process import serve_in_process
from tests.support.live import live_client
from tests.support.polling import poll_until

Client = AsyncTestClient[Litestar]
LOCATION = "/api/washers/me/location"
IN_AREA = {"lat": 30.2672, "lng": -97.7431}
OUTSIDE = {"lat": 10.0, "lng": 10.0}


def _ts(seconds_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat()


@pytest.fixture
async def server(settings: Settings, washer: ApiUser, other_washer: ApiUser) -> AsyncIterator[str]:
    """A uvicorn server on the test's database, started once the washers are signed in."""
    async with serve_in_process(create_app(settings)) as address:
        yield address


async def test_a_fix_outside_the_service_area_is_refused_and_leaves_no_trace(
    api: Client, server: str, washer: ApiUser, other_washer: ApiUser
) -> None:
    outside = expect(
        await api.post(
            LOCATION, headers=washer.headers, json={"fixes": [{**OUTSIDE, "ts": _ts(5)}]}
        ),
        200,
    )
    assert (outside["accepted"], outside["rejected"]) == (0, 1)
    assert outside["results"][0]["reason"] == "outside_service_area"

    inside = expect(
        await api.post(
            LOCATION, headers=washer.headers, json={"fixes": [{**IN_AREA, "ts": _ts(2)}]}
        ),
        200,
    )
    assert (inside["accepted"], inside["results"][0]["reason"]) == (1, None)

    async def me() -> dict[str, Any]:
        return dict(expect(await api.get("/api/washers/me", headers=washer.headers), 200))

    profile = await poll_until(me, lambda body: body["last_lat"] is not None, every=0.2)
    assert (profile["last_lat"], profile["last_lng"]) == (IN_AREA["lat"], IN_AREA["lng"])

    async with live_client(f"ws://{server}/ws", other_washer.access_token) as phone:
        refused = await phone.request("location", **OUTSIDE, ts=_ts(5))
        assert (refused["type"], refused["code"], refused["reason"]) == (
            "error",
            "invalid_fix",
            "outside_service_area",
        )
        accepted = await phone.request("location", **IN_AREA, ts=_ts(2))
        assert (accepted["type"], accepted["status"]) == ("reply", "accepted"), accepted


async def test_a_fix_time_without_an_offset_is_refused_on_both_roads(
    api: Client, server: str, washer: ApiUser
) -> None:
    naive = (datetime.now(UTC) - timedelta(seconds=3)).replace(tzinfo=None).isoformat()
    refused = await api.post(
        LOCATION,
        headers=washer.headers,
        json={"fixes": [{**IN_AREA, "ts": _ts(4)}, {**IN_AREA, "ts": naive}]},
    )
    body = expect(refused, 400)
    assert (body["code"], body["reason"]) == ("invalid_fix", "bad_timestamp"), body
    assert body["message"]

    async with live_client(f"ws://{server}/ws", washer.access_token) as phone:
        frame = await phone.request("location", **IN_AREA, ts=naive)
        assert (frame["type"], frame["code"], frame["reason"]) == (
            "error",
            "invalid_fix",
            "bad_timestamp",
        )
        # Nothing of the refused batch was kept: a fix older than its first one is accepted.
        accepted = await phone.request("location", **IN_AREA, ts=_ts(5))
        assert (accepted["type"], accepted["status"]) == ("reply", "accepted"), accepted
