"""Hostile WebSocket frames get an `error` frame and the socket stays up, on both back-ends.

Before, a deeply nested frame closed the socket, and a chat or typing op for an order id
past a bigint, or a chat body with NUL, failed inside the op (`internal_error`; NUL was
stored as is on SQLite). Runs a real uvicorn server on the test's database.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.asgi import create_app
from app.settings import Settings
from tests.support.api import ApiUser
from tests.support.in_process import serve_in_process
from tests.support.live import LiveClient, live_client

DEPTH = 5_000


@pytest.fixture
async def server(settings: Settings, customer_a: ApiUser) -> AsyncIterator[str]:
    """A uvicorn server in this event loop, on the test's database; yields host:port.

    It starts once the customer is signed in through the test client's own app: two apps
    writing one SQLite file from one event loop (the login and the second app's start-up)
    can hold each other past SQLite's busy timeout, which no deployment does."""
    async with serve_in_process(create_app(settings)) as address:
        yield address


async def refused_and_still_open(client: LiveClient, frame: str, ref: Any) -> dict[str, Any]:
    await client.send(frame)
    error = await client.wait_for(lambda f: f.get("type") == "error" and f.get("ref") == ref)
    pong = await client.request("ping")
    assert pong["type"] == "reply" and client.close_code is None
    return error


async def test_a_deeply_nested_frame_is_an_error_frame(server: str, customer_a: ApiUser) -> None:
    async with live_client(f"ws://{server}/ws", customer_a.access_token) as client:
        error = await refused_and_still_open(client, "[" * DEPTH + "]" * DEPTH, None)
        assert error["code"] == "json_too_deep"


@pytest.mark.parametrize("op", ["chat", "typing"])
async def test_an_order_id_past_a_bigint_is_an_error_frame(
    server: str, customer_a: ApiUser, op: str
) -> None:
    frame: dict[str, Any] = {"op": op, "order_id": 2**63, "ref": "big"}
    if op == "chat":
        frame["body"] = "on my way"
    async with live_client(f"ws://{server}/ws", customer_a.access_token) as client:
        error = await refused_and_still_open(client, json.dumps(frame), "big")
        assert error["code"] == "bad_field"


async def test_nul_in_a_chat_body_is_an_error_frame(
    order_a: dict[str, Any], server: str, customer_a: ApiUser
) -> None:
    frame = {"op": "chat", "order_id": order_a["id"], "body": "at the\u0000 gate", "ref": "nul"}
    async with live_client(f"ws://{server}/ws", customer_a.access_token) as client:
        error = await refused_and_still_open(client, json.dumps(frame), "nul")
        assert error["code"] == "bad_field"
