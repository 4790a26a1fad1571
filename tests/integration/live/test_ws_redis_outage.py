"""A live op that needs Redis while it is down is refused with `redis_unavailable`, the
connection stays, and the first such op after a Redis restart works again."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from domain.roles import Role
from tests.support.api import login
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.journey import book_order
from tests.support.live import LiveClient, live_client
from tests.support.services import ThrowawayRedis

pytestmark = pytest.mark.redis


@pytest.fixture
def redis() -> Iterator[ThrowawayRedis]:
    with ThrowawayRedis() as server:
        yield server


@pytest.fixture
def settings_overrides(redis: ThrowawayRedis) -> dict[str, object]:
    return {"redis_url": redis.url}


async def _typing(client: LiveClient, order_id: int, ref: int) -> dict[str, object]:
    await client.send({"op": "typing", "order_id": order_id, "ref": ref})
    return await client.wait_for(lambda f: f.get("ref") == ref)


async def test_typing_is_refused_while_redis_is_down_and_works_after_the_restart(
    server: str, database_url: str, redis: ThrowawayRedis
) -> None:
    settings = settings_for(database_url)
    await add_user(settings, "cleo@example.test", Role.CUSTOMER, "Cleo")
    await add_user(settings, "ada@example.test", Role.ADMIN, "Ada")
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=10) as api:
        customer = await login(api, "cleo@example.test", PASSWORD)
        admin = await login(api, "ada@example.test", PASSWORD)
        order = await book_order(api, api, customer.headers, admin.headers)

    async with live_client(f"ws://{server}/ws", customer.access_token) as client:
        before = await _typing(client, order["id"], 901)
        redis.stop()
        during = await _typing(client, order["id"], 902)
        pong = await client.request("ping")
        still_open = client.close_code is None
        redis.start()
        after = await _typing(client, order["id"], 903)

    assert (before["type"], before["ok"]) == ("reply", True)
    assert (during["type"], during["code"]) == ("error", "redis_unavailable")
    assert pong["pong"] is True and still_open
    assert (after["type"], after["ok"]) == ("reply", True)
