"""The admin's view of presence (`app.live.presence`): who listens to a channel, and which
washers are online with how many connections, counted per washer from the entries the live
transports put (here put straight into the running app's presence, as they would)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.asgi import build_app
from app.bootstrap import Washline
from app.settings import Settings
from realtime.presence import WASHERS_ONLINE
from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]


@pytest.fixture
def washline(settings: Settings) -> Washline:
    return Washline(settings)


@pytest.fixture
def app(washline: Washline) -> Litestar:
    return build_app(washline)


async def _join(washline: Washline, key: str, client_id: str, **info: Any) -> None:
    await washline.runtime.presence.join(key, client_id, info)


async def test_washers_online_counts_each_washers_connections(
    api: Client, admin: ApiUser, washline: Washline
) -> None:
    await _join(washline, WASHERS_ONLINE, "c1", user_id=9, role="washer")
    await _join(washline, WASHERS_ONLINE, "c2", user_id=9, role="washer")  # a second phone
    await _join(washline, WASHERS_ONLINE, "c3", user_id=4, role="washer")
    await _join(washline, WASHERS_ONLINE, "c4", user_id=5, role="customer")  # not a washer
    body = expect(await api.get("/api/admin/washers/online", headers=admin.headers), 200)
    assert body == {"washers": [{"user_id": 4, "connections": 1}, {"user_id": 9, "connections": 2}]}


async def test_a_channels_listeners_are_listed_in_client_order(
    api: Client, admin: ApiUser, washline: Washline
) -> None:
    await _join(washline, "order:7", "b-conn", user_id=3, role="customer")
    await _join(washline, "order:7", "a-conn", user_id=1, role="admin")
    await _join(washline, "order:8", "c-conn", user_id=2, role="customer")
    body = expect(
        await api.get("/api/admin/presence", params={"channel": "order:7"}, headers=admin.headers),
        200,
    )
    assert body["channel"] == "order:7"
    assert [member["client_id"] for member in body["members"]] == ["a-conn", "b-conn"]
    assert body["members"][1]["user_id"] == 3


async def test_nobody_online_is_an_empty_answer(api: Client, admin: ApiUser) -> None:
    assert expect(await api.get("/api/admin/washers/online", headers=admin.headers), 200) == {
        "washers": []
    }
    body = expect(
        await api.get(
            "/api/admin/presence", params={"channel": WASHERS_ONLINE}, headers=admin.headers
        ),
        200,
    )
    assert body == {"channel": WASHERS_ONLINE, "members": []}


@pytest.mark.parametrize("channel", ["nonsense", "order:", "order:x", "presence:customers", ""])
async def test_an_unknown_channel_name_is_refused(
    api: Client, admin: ApiUser, channel: str
) -> None:
    response = await api.get(
        "/api/admin/presence", params={"channel": channel}, headers=admin.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "bad_channel"


@pytest.mark.parametrize(
    ("path", "params"),
    [("/api/admin/washers/online", {}), ("/api/admin/presence", {"channel": "ops"})],
)
async def test_only_admins_see_presence(
    api: Client, customer_a: ApiUser, washer: ApiUser, path: str, params: dict[str, str]
) -> None:
    for user in (customer_a, washer):
        response = await api.get(path, params=params, headers=user.headers)
        assert response.status_code == 403, response.text
    assert (await api.get(path, params=params)).status_code == 401
