"""Connection caps: one user cannot hold more live connections than allowed, on either
transport, and is told why; the connections it already holds are not harmed."""

from __future__ import annotations

import httpx
import pytest

from domain.roles import Role
from tests.support.api import ApiUser, login
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.live import live_client


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"live_max_connections_per_user": 2}


async def customer(server: str, database_url: str) -> ApiUser:
    await add_user(settings_for(database_url), "ines@example.test", Role.CUSTOMER, "Ines")
    async with httpx.AsyncClient(base_url=f"http://{server}") as client:
        return await login(client, "ines@example.test", PASSWORD)


async def test_a_third_connection_of_one_user_is_refused_on_both_transports(
    server: str, database_url: str
) -> None:
    user = await customer(server, database_url)
    url = f"ws://{server}/ws"
    async with live_client(url, user.access_token) as first, live_client(url, user.access_token):
        async with live_client(url, user.access_token) as third:
            assert await third.wait_closed() == 4009
            refusal = await third.wait_for(lambda f: f.get("type") == "error")
            assert refusal["code"] == "too_many_connections"

        async with httpx.AsyncClient(base_url=f"http://{server}") as http:
            stream = await http.get("/api/me/events", headers=user.headers)
        assert stream.status_code == 429
        assert stream.json()["code"] == "too_many_connections"
        assert int(stream.headers["retry-after"]) >= 1

        assert (await first.request("ping"))["pong"] is True
