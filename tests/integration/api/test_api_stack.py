"""The layers around the application (`app.asgi`): each runs for the connections that need
it, the WebSocket-only ones never on HTTP, the HTTP-only ones never on a socket. Real
uvicorn servers with the protocol classes of `washline serve`, real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from litestar import Request, WebSocket, get, websocket
from litestar.status_codes import HTTP_200_OK

from app.asgi import WashlineApp, create_app
from app.live.direct_send import DIRECT_SEND_KEY
from app.settings import Settings
from app.ws_protocol import WIRE_SCOPE_KEY
from tests.support.api import ApiUser
from tests.support.api import test_settings as settings_for
from tests.support.in_process import serve_in_process


@get("/scope-keys", status_code=HTTP_200_OK)
async def http_scope_keys(request: Request[Any, Any, Any]) -> list[str]:
    return sorted(str(key) for key in request.scope)


@websocket("/scope-keys")
async def websocket_scope_keys(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept()
    wire = socket.scope.get(WIRE_SCOPE_KEY)
    captured = socket.scope.get(DIRECT_SEND_KEY)
    is_the_servers = wire is not None and captured == wire.send
    await socket.send_json({"captured": captured is not None, "servers": is_the_servers})
    await socket.close()


def bare_app() -> WashlineApp:
    return WashlineApp(route_handlers=[http_scope_keys, websocket_scope_keys], logging_config=None)


async def test_a_websocket_keeps_the_servers_own_send() -> None:
    """What the live socket's writer sends event frames with: the server's `send`, not one
    wrapped by any layer between the server and the handler."""
    async with (
        serve_in_process(bare_app()) as address,
        websockets.connect(f"ws://{address}/scope-keys") as socket,
    ):
        frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
    assert frame == {"captured": True, "servers": True}


async def test_http_requests_do_not_carry_the_websocket_send() -> None:
    async with serve_in_process(bare_app()) as address, httpx.AsyncClient() as client:
        response = await client.get(f"http://{address}/scope-keys")
    assert response.status_code == 200, response.text
    keys = response.json()
    assert "type" in keys and DIRECT_SEND_KEY not in keys


async def access_lines(capsys: pytest.CaptureFixture[str], request_id: str) -> list[Any]:
    """The access lines logged so far with `request_id`: a socket's is written once its
    handler has ended on the server, a moment after the client saw the close."""
    seen: list[str] = []
    for _ in range(100):
        seen.extend(capsys.readouterr().out.splitlines())
        lines = [json.loads(line) for line in seen if line[:1] == "{"]
        found = [line for line in lines if line.get("request_id") == request_id]
        if found:
            return found
        await asyncio.sleep(0.05)
    return []


async def test_a_websocket_gets_its_access_line_and_no_request_metrics(
    settings: Settings, customer_a: ApiUser, capsys: pytest.CaptureFixture[str]
) -> None:
    """A socket is logged with its request id like a request, but it is not a request to the
    HTTP metrics: its lifetime would swamp the latency histogram."""
    app = create_app(settings_for(settings.database_url, log_level="INFO"))
    async with serve_in_process(app) as address:
        async with websockets.connect(
            f"ws://{address}/ws?token={customer_a.access_token}",
            additional_headers={"X-Request-ID": "support-ticket-44"},
        ) as socket:
            await socket.send(json.dumps({"op": "ping", "ref": "p"}))
            reply = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert reply.get("ref") == "p", reply
        access = await access_lines(capsys, "support-ticket-44")
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://{address}/health")).status_code == 200
            metrics = (await client.get(f"http://{address}/metrics")).text
    assert [(a["event"], a["method"], a["path"]) for a in access] == [("request", "WS", "/ws")]
    counted = [line for line in metrics.splitlines() if line.startswith("washline_request")]
    assert [line for line in counted if 'path="/health"' in line], counted
    assert not [line for line in counted if 'path="/ws"' in line], counted
