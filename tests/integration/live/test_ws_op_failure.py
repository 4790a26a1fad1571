"""An op whose handler fails unexpectedly costs the client that op, never its connection.

The server runs in this test's process (a real uvicorn with the `websockets` implementation)
so a handler can be made to fail on purpose: that is a server bug or a database hiccup, which
no request from outside can trigger on demand.
"""

from __future__ import annotations

import httpx
import pytest

from app.bootstrap import Washline
from domain.roles import Role
from realtime import protocol
from realtime.session import LiveSession
from tests.support.api import ApiUser, login
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.live import live_client


async def customer(server: str, database_url: str) -> ApiUser:
    await add_user(settings_for(database_url), "carla@example.test", Role.CUSTOMER, "Carla")
    async with httpx.AsyncClient(base_url=f"http://{server}") as client:
        return await login(client, "carla@example.test", PASSWORD)


async def test_a_failing_op_answers_internal_error_and_the_connection_stays(
    washline: Washline, server: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing_chat(session: LiveSession, op: protocol.Chat) -> None:
        raise RuntimeError("injected failure")

    handlers = washline.flows.session_context.op_handlers
    monkeypatch.setitem(handlers, protocol.Chat, failing_chat)  # type: ignore[arg-type]
    user = await customer(server, database_url)
    async with live_client(f"ws://{server}/ws", user.access_token) as client:
        subscribed = await client.subscribe(f"user:{user.id}")
        assert subscribed["type"] == "reply"

        await client.send({"op": "chat", "order_id": 1, "body": "hello", "ref": 900})
        refusal = await client.wait_for(lambda f: f.get("type") == "error" and f.get("ref") == 900)
        assert refusal["code"] == "internal_error"

        pong = await client.request("ping")
        assert pong["pong"] is True
        assert client.close_code is None
        again = await client.subscribe(f"user:{user.id}")
        assert again["type"] == "reply"


async def test_an_empty_since_subscribes_from_now(server: str, database_url: str) -> None:
    """Ephemeral events carry an empty id; a client that resumes from one is not refused."""
    user = await customer(server, database_url)
    async with live_client(f"ws://{server}/ws", user.access_token) as client:
        reply = await client.subscribe(f"user:{user.id}", since="")
        assert reply["type"] == "reply"
        refused = await client.subscribe(f"user:{user.id}", since="not-an-id")
        assert refused["type"] == "error" and refused["code"] == "bad_since"
