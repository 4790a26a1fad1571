"""Logins survive Redis blinking: the rate limits fall back to this process while Redis is
down, and the first login after a restart does not trip over the pool's dead connections."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.settings import Settings
from domain.roles import Role
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.services import ThrowawayRedis

pytestmark = pytest.mark.redis


@pytest.fixture
def redis() -> Iterator[ThrowawayRedis]:
    with ThrowawayRedis() as server:
        yield server


async def test_logins_answer_through_a_redis_outage_and_restart(
    settings: Settings, redis: ThrowawayRedis
) -> None:
    settings = settings_for(
        settings.database_url, redis_url=redis.url, auth_rate_limit_per_minute=50
    )
    await add_user(settings, "rita@example.test", Role.CUSTOMER, "Rita")
    credentials = {"email": "rita@example.test", "password": PASSWORD}
    async with AsyncTestClient(app=create_app(settings)) as api:
        assert (await api.post("/api/auth/login", json=credentials)).status_code == 200

        redis.stop()
        during = [
            (await api.post("/api/auth/login", json=credentials)).status_code for _ in range(3)
        ]
        redis.start()
        after = (await api.post("/api/auth/login", json=credentials)).status_code

    assert during == [200, 200, 200]
    assert after == 200
