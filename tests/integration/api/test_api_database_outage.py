"""A PostgreSQL outage answers 503 with `Retry-After`, never 500, and the API is back by
itself when the database is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

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

        document = (await api.get("/schema/openapi.json")).json()
        postgres.halt()
        down = await api.get("/api/vehicles", headers=user.headers)
        not_ready = await api.get("/ready")
        answers = await _every_read(api, document, user.headers)
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
    # Whatever each read answers meanwhile, the OpenAPI document declares it, code included.
    assert 503 in {status for _, status, _ in answers}
    undeclared = [
        (path, status, code)
        for path, status, code in answers
        if str(status) not in document["paths"][path]["get"]["responses"]
        or (
            code
            and f"`{code}`"
            not in document["paths"][path]["get"]["responses"][str(status)]["description"]
        )
    ]
    assert undeclared == []


async def _every_read(
    api: AsyncTestClient[Any], document: dict[str, Any], headers: dict[str, str]
) -> list[tuple[str, int, str | None]]:
    """(path, status, code) of every GET under /api but the event streams (which never end)."""
    answers = []
    for path, item in document["paths"].items():
        operation = item.get("get")
        if not path.startswith("/api/") or operation is None:
            continue
        if "text/event-stream" in operation["responses"]["200"].get("content", {}):
            continue
        response = await api.get(re.sub(r"\{\w+\}", "1", path), headers=headers)
        code = response.json().get("code") if response.status_code >= 400 else None
        answers.append((path, response.status_code, code))
    return answers
