"""Routes during a Redis outage and just after a restart: what can degrade does (a read
receipt is saved, `/ready` says `degraded` but keeps the process in service), what truly
needs Redis answers 503 with `Retry-After`, and the first call after the restart works
although every pooled connection died with the old server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.http.errors import EXCEPTION_HANDLERS
from app.settings import Settings
from realtime.broker import BrokerUnavailable
from tests.support.api import ApiUser, expect
from tests.support.api import test_settings as settings_for
from tests.support.database import truncate_all
from tests.support.services import ThrowawayRedis

pytestmark = pytest.mark.redis

Client = AsyncTestClient[Litestar]


@pytest.fixture
def redis() -> Iterator[ThrowawayRedis]:
    with ThrowawayRedis() as server:
        yield server


@pytest.fixture
async def settings(database_url: str, redis: ThrowawayRedis) -> Settings:
    """The package's app fixtures, on a Redis this module may stop and start."""
    if database_url.startswith("postgresql"):
        await truncate_all(database_url)
    return settings_for(database_url, redis_url=redis.url)


async def test_presence_is_503_with_retry_after_while_down_and_back_at_once(
    api: Client, admin: ApiUser, redis: ThrowawayRedis
) -> None:
    params = {"channel": "presence:washers"}
    expect(await api.get("/api/admin/presence", params=params, headers=admin.headers), 200)

    redis.stop()
    down = await api.get("/api/admin/presence", params=params, headers=admin.headers)
    ready_down = await api.get("/ready")
    redis.start()
    back = await api.get("/api/admin/presence", params=params, headers=admin.headers)
    ready_back = await api.get("/ready")

    assert down.status_code == 503, down.text
    assert down.json()["code"] == "presence_unavailable"
    assert int(down.headers["retry-after"]) >= 1
    assert back.status_code == 200, back.text
    assert ready_down.status_code == 200
    assert ready_down.json()["status"] == "degraded"
    assert ready_down.json()["checks"]["redis"].startswith("down")
    assert ready_back.status_code == 200 and ready_back.json()["status"] == "ready"


async def test_a_read_receipt_is_saved_while_redis_is_down(
    api: Client,
    customer_a: ApiUser,
    make_order: Any,
    redis: ThrowawayRedis,
) -> None:
    order = await make_order(customer_a)
    messages = f"/api/orders/{order['id']}/messages"
    said = await api.post(messages, json={"body": "gate code 4711"}, headers=customer_a.headers)
    expect(said, 201)

    redis.stop()
    read = await api.post(f"{messages}/read", json={"up_to": 1}, headers=customer_a.headers)
    redis.start()
    page = expect(await api.get(messages, headers=customer_a.headers), 200)

    assert read.status_code == 200, read.text
    assert {r["user_id"]: r["last_read_seq"] for r in page["receipts"]} == {customer_a.id: 1}


@pytest.mark.parametrize(
    "failure",
    [
        BrokerUnavailable("publish failed"),
        RedisConnectionError("Connection closed by server."),
        RedisTimeoutError("Timeout reading from socket"),
    ],
)
async def test_a_redis_failure_that_reaches_the_edge_is_a_503_never_a_500(
    failure: Exception,
) -> None:
    """The backstop for any path that does not degrade on its own."""

    @get("/live-thing", sync_to_thread=False)
    def live_thing() -> None:
        raise failure

    app = Litestar([live_thing], exception_handlers=EXCEPTION_HANDLERS)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/live-thing")
    assert expect(response, 503)["code"] == "redis_unavailable"
    assert int(response.headers["retry-after"]) >= 1
