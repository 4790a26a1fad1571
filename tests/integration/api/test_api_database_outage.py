"""A PostgreSQL outage answers 503 with `Retry-After`, never 500, and the API is back by
itself when the database is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from domain.roles import Role
from persistence.migrate import upgrade
from tests.support.api import login
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.services import ThrowawayPostgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres() -> Iterator[ThrowawayPostgres]:
    with ThrowawayPostgres() as server:
        upgrade(server.url)
        yield server


async def test_rest_answers_503_while_postgres_is_down_and_recovers(
    postgres: ThrowawayPostgres,
) -> None:
    settings = settings_for(postgres.url)
    await add_user(settings, "dora@example.test", Role.CUSTOMER, "Dora")
    async with AsyncTestClient(app=create_app(settings)) as api:
        user = await login(api, "dora@example.test", PASSWORD)
        assert (await api.get("/api/vehicles", headers=user.headers)).status_code == 200

        postgres.halt()
        down = await api.get("/api/vehicles", headers=user.headers)
        not_ready = await api.get("/ready")
        postgres.resume()
        back = await api.get("/api/vehicles", headers=user.headers)

    assert down.status_code == 503, down.text
    assert down.json()["code"] == "database_unavailable"
    assert int(down.headers["retry-after"]) >= 1
    assert back.status_code == 200, back.text
    # Unlike a Redis outage (`degraded`, still 200), no database means no traffic.
    assert not_ready.status_code == 503
    assert (not_ready.json()["status"], not_ready.json()["code"]) == ("unavailable", "not_ready")
    assert not_ready.json()["checks"]["database"].startswith("down")
