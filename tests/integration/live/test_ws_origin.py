"""`WS_ALLOWED_ORIGINS`: a page of another site cannot open a live socket with a user's token."""

from __future__ import annotations

import httpx
import pytest
import websockets

from app.live.ws import origin_allowed
from domain.roles import Role
from tests.support.api import ApiUser, login
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.live import live_client

APP = "https://app.washline.example"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"ws_allowed_origins": (APP,)}


async def customer(server: str, database_url: str) -> ApiUser:
    await add_user(settings_for(database_url), "olga@example.test", Role.CUSTOMER, "Olga")
    async with httpx.AsyncClient(base_url=f"http://{server}") as client:
        return await login(client, "olga@example.test", PASSWORD)


async def test_only_listed_origins_and_clients_without_one_may_connect(
    server: str, database_url: str
) -> None:
    user = await customer(server, database_url)
    url = f"ws://{server}/ws"
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with live_client(url, user.access_token, origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403

    for origin in (APP, None):  # the app's own page; a phone app sends no Origin
        async with live_client(url, user.access_token, origin=origin) as client:
            assert (await client.request("ping"))["pong"] is True


def test_the_rule() -> None:
    assert origin_allowed("https://evil.example", ())  # no list: any origin
    assert origin_allowed(None, (APP,))
    assert origin_allowed(APP + "/", (APP,))
    assert not origin_allowed("https://evil.example", (APP,))
