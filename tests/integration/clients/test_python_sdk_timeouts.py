"""A server that accepts and then says nothing: the SDK raises `RequestTimeout`, for a REST
call and for a live op, instead of hanging."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import websockets
from washline_client import RequestTimeout, TokenPair, User, WashlineClient
from websockets.asyncio.server import ServerConnection

from tests.support.services import free_port

WAIT = 0.3


@pytest.fixture
async def silent_http() -> AsyncIterator[str]:
    """An HTTP address that reads requests and never answers."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(65536):
            pass
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", free_port())
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
async def silent_websocket() -> AsyncIterator[str]:
    """A `/ws` that completes the handshake and never replies to an op."""

    async def ignore(connection: ServerConnection) -> None:
        async for _ in connection:
            pass

    async with websockets.serve(
        ignore,
        "127.0.0.1",
        0,
        subprotocols=["washline.v1"],  # type: ignore[list-item]
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"http://127.0.0.1:{port}"


def signed_in(client: WashlineClient) -> None:
    """Tokens as if a login had happened (the silent servers cannot log anyone in)."""
    later = datetime.now(UTC) + timedelta(minutes=15)
    client.tokens.set(TokenPair("access", "refresh", later, User(1, "a@b.test", "customer")))


async def test_a_rest_call_without_an_answer_raises_request_timeout(silent_http: str) -> None:
    async with WashlineClient(silent_http, timeout=WAIT) as client:
        signed_in(client)
        with pytest.raises(RequestTimeout) as timed_out:
            await client.packages()
        assert timed_out.value.what == "GET /api/packages"
        assert timed_out.value.seconds == WAIT
        with pytest.raises(RequestTimeout):
            await client.login("a@b.test", "secret")


async def test_a_live_op_without_a_reply_raises_request_timeout(silent_websocket: str) -> None:
    async with WashlineClient(silent_websocket, timeout=WAIT) as client:
        signed_in(client)
        async with client.live(transport="ws") as live:
            with pytest.raises(RequestTimeout) as timed_out:
                await live.request("ping")
            assert timed_out.value.what == "live op 'ping'"
