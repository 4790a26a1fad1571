"""A client that stops reading long enough for its socket to push back, then reads again,
gets every reliable event, in order, and stays connected while its queue never overflowed.

The fan-out takes a frame inline while the socket takes it and queues it for a writer task
only while flow control holds the socket; the writer waits for the transport to resume and
ends once the queue is empty. A writer that never woke up, woke up too early or left the
queue behind, or an inline frame overtaking queued ones, fails this test; and it goes
through two such episodes, so a writer that only works once fails it too."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
from typing import Any

import httpx
import websockets

from domain.roles import Role
from realtime.redis_broker import RedisBroker

QUEUE = 8000
"""The server's outbound queue per socket: more than a pause ever leaves queued here."""
PAUSED_EVENTS = 3000
"""~3.3 MB published while the client does not read: well past a 4 KB receive buffer, the
kernel's send buffer and the transport's high-water mark, and below `QUEUE`."""


async def _tasks(api: httpx.AsyncClient) -> float:
    for line in (await api.get("/metrics")).text.splitlines():
        if line.startswith("washline_realtime_asyncio_tasks "):
            return float(line.split()[-1])
    raise AssertionError("no asyncio_tasks gauge")


async def _settles_at(api: httpx.AsyncClient, at_rest: float) -> None:
    """Until the server runs no more tasks than at rest (its own background work comes and
    goes, so this polls rather than compares once)."""
    while True:
        if await _tasks(api) <= at_rest:
            return
        await asyncio.sleep(0.1)


async def _tasks_above(api: httpx.AsyncClient, at_rest: float) -> bool:
    """Until the server runs more tasks than at rest: a writer waits on the socket."""
    while True:
        if await _tasks(api) > at_rest:
            return True
        await asyncio.sleep(0.05)


async def _paused_client(url: str) -> Any:
    """A client with a 4 KB receive buffer that holds one message: while the test does not
    call ``recv``, it stops reading the socket and the server's buffers fill."""
    port = int(url.split(":")[2].split("/")[0])
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", port))
    raw.setblocking(False)
    return await websockets.connect(url, sock=raw, max_queue=1, max_size=None, compression=None)


async def _events(connection: Any, count: int) -> list[int]:
    got: list[int] = []
    while len(got) < count:
        frame = json.loads(await asyncio.wait_for(connection.recv(), timeout=30))
        if frame.get("type") == "event" and frame.get("event") == "load.test":
            got.append(frame["data"]["n"])
    return got


async def test_a_client_that_pauses_reading_then_resumes_gets_every_event_in_order(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(
        postgres_url, clean_redis_url, OUTBOUND_QUEUE_SIZE=str(QUEUE), HEARTBEAT_SECONDS="300"
    )
    admin = await make_account(server, postgres_url, Role.ADMIN)
    api = http(server)
    url = f"{server.ws_url}?token={admin.token}"
    connection = await _paused_client(url)
    broker = RedisBroker(clean_redis_url)
    padding = base64.b64encode(os.urandom(750)).decode()
    try:
        await connection.send(json.dumps({"op": "subscribe", "channel": "ops", "ref": 1}))
        assert json.loads(await connection.recv())["ok"] is True
        at_rest = await _tasks(api)
        sent = 0
        for _episode in range(2):
            # Paused: everything past the buffers waits in the server's queue, drained by
            # a writer task that waits for the socket to take more.
            for n in range(sent, sent + PAUSED_EVENTS):
                await broker.publish("ops", "load.test", {"n": n, "padding": padding})
            pushed_back = _tasks_above(api, at_rest)
            assert await asyncio.wait_for(pushed_back, timeout=10), "no writer was waiting"
            first = sent
            sent += PAUSED_EVENTS
            # Reading again: the writer resumes; what is published meanwhile and after
            # comes behind what was queued, never before it.
            reading = asyncio.create_task(_events(connection, PAUSED_EVENTS + 200))
            for n in range(sent, sent + 200):
                await broker.publish("ops", "load.test", {"n": n, "padding": padding})
            sent += 200
            assert await asyncio.wait_for(reading, timeout=60) == list(range(first, sent))
        # Still connected (no 4008: the queue never overflowed), and back to inline writes
        # with no writer task left behind.
        await broker.publish("ops", "load.test", {"n": sent, "padding": padding})
        assert await _events(connection, 1) == [sent]
        assert connection.close_code is None
        await asyncio.wait_for(_settles_at(api, at_rest), timeout=10)
    finally:
        await broker.close()
        with contextlib.suppress(Exception):
            await connection.close()
