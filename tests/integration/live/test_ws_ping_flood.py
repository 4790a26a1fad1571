"""A peer that floods pings and never reads is dropped before its pongs pile up in the
server's memory; a neighbour on the same server keeps working."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct

import httpx

from app.ws_protocol import MAX_UNREAD_BYTES
from domain.roles import Role
from tests.support.api import ApiUser, login
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.live import live_client

PAYLOAD = b"p" * 125  # the largest ping payload: the server answers each with a 127-byte pong
PINGS = 400_000  # ~52 MB of pongs if all were kept: far past any bound worth having


def masked_ping() -> bytes:
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(PAYLOAD))
    return struct.pack("!BB", 0x89, 0x80 | len(PAYLOAD)) + mask + body


def open_raw_socket(host: str, port: int, token: str) -> socket.socket:
    """A WebSocket handshake by hand: this client must be able to not read at all."""
    raw = socket.create_connection((host, port))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            f"GET /ws?token={token} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 101"), answer[:80]
    return raw


def flood(raw: socket.socket) -> int:
    """Send pings without ever reading; how many went out before the server hung up."""
    frame = masked_ping()
    batch = frame * 1000
    sent = 0
    try:
        while sent < PINGS:
            raw.sendall(batch)
            sent += 1000
    except OSError:
        return sent
    return sent


async def washer(server: str, database_url: str, email: str) -> ApiUser:
    await add_user(settings_for(database_url), email, Role.WASHER, "Wes")
    async with httpx.AsyncClient(base_url=f"http://{server}") as client:
        return await login(client, email, PASSWORD)


async def test_a_ping_flood_that_never_reads_is_dropped(server: str, database_url: str) -> None:
    flooder = await washer(server, database_url, "flood@example.test")
    neighbour = await washer(server, database_url, "calm@example.test")
    host, port = server.split(":")
    async with live_client(f"ws://{server}/ws", neighbour.access_token) as calm:
        raw = await asyncio.to_thread(open_raw_socket, host, int(port), flooder.access_token)
        try:
            sent = await asyncio.to_thread(flood, raw)
        finally:
            raw.close()
        assert sent < PINGS, "the server kept answering a peer that never reads"
        assert sent * len(PAYLOAD) > MAX_UNREAD_BYTES  # it was a flood, not a hiccup
        assert (await calm.request("ping"))["pong"] is True
