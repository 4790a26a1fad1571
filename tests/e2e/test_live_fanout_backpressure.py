"""A broadcast where some clients stop reading halfway: they alone are cut off (4008), and
every other client gets every event, in order, without waiting for them.

The fan-out writes a frame inline while a socket takes it and queues it only for a socket
under backpressure; this proves the switch between the two loses, reorders and delays
nothing for the clients that keep reading."""

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
from realtime.close_codes import SLOW_CONSUMER
from realtime.redis_broker import RedisBroker

CLIENTS, STOPPERS = 20, 2
"""One client in ten stops reading."""
STOP_AFTER = 40
"""Events a stopping client reads before it stops."""


async def _slow_consumer_disconnects(api: httpx.AsyncClient) -> float:
    metrics = (await api.get("/metrics")).text
    for line in metrics.splitlines():
        if line.startswith("washline_realtime_slow_consumer_disconnects_total"):
            return float(line.split()[-1])
    return 0.0


class Reader:
    """Counts one client's `load.test` events; a stopper stops reading after `stop_after`
    until `resume` is set, so its socket fills up while the broadcast goes on."""

    def __init__(self, connection: Any, arrived: asyncio.Condition, stop_after: int | None) -> None:
        self.connection = connection
        self.arrived = arrived
        self.stop_after = stop_after
        self.resume = asyncio.Event()
        self.received: list[int] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in self.connection:
                frame = json.loads(message)
                if frame.get("type") != "event" or frame.get("event") != "load.test":
                    continue
                async with self.arrived:
                    self.received.append(frame["data"]["n"])
                    self.arrived.notify_all()
                if self.stop_after is not None and len(self.received) == self.stop_after:
                    await self.resume.wait()


async def _connect(url: str, *, stopper: bool) -> Any:
    if not stopper:
        return await websockets.connect(url, max_size=None, compression=None)
    # A tiny receive buffer and a one-message client queue: once it stops reading, the
    # server's kernel and transport buffers fill after a few hundred KB.
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", int(url.split(":")[2].split("/")[0])))
    raw.setblocking(False)
    return await websockets.connect(url, sock=raw, max_queue=1, max_size=None, compression=None)


async def test_a_tenth_of_the_clients_stop_reading_mid_broadcast_and_only_they_are_cut_off(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    window, batch, most = 32, 250, 20_000
    server = start_server(
        postgres_url, clean_redis_url, OUTBOUND_QUEUE_SIZE="64", HEARTBEAT_SECONDS="300"
    )
    admin = await make_account(server, postgres_url, Role.ADMIN)
    api = http(server)
    url = f"{server.ws_url}?token={admin.token}"
    subscribe = json.dumps({"op": "subscribe", "channel": "ops", "ref": 1})
    arrived = asyncio.Condition()
    connections = [await _connect(url, stopper=n < STOPPERS) for n in range(CLIENTS)]
    broker = RedisBroker(clean_redis_url)
    readers: list[Reader] = []
    try:
        for connection in connections:
            await connection.send(subscribe)
            assert json.loads(await connection.recv())["ok"] is True
        readers = [
            Reader(c, arrived, STOP_AFTER if n < STOPPERS else None)
            for n, c in enumerate(connections)
        ]
        stoppers, readers_on = readers[:STOPPERS], readers[STOPPERS:]

        async def all_have(count: int) -> None:
            def done() -> bool:
                return all(len(r.received) >= count or r.task.done() for r in readers_on)

            async with arrived:
                await arrived.wait_for(done)
            assert all(len(r.received) >= count for r in readers_on), "a reading client stalled"

        # ~1 KB events, published no faster than the slowest reading client takes them, so
        # only a client that stopped reading can fill its queue; a fan-out that waited on
        # the stopped sockets would stall everyone and fail these bounded waits.
        total = 0
        while await _slow_consumer_disconnects(api) < STOPPERS:
            assert total < most, "the clients that stopped reading were never cut off"
            for n in range(total, total + batch):
                padding = base64.b64encode(os.urandom(750)).decode()
                await broker.publish("ops", "load.test", {"n": n, "padding": padding})
                if n >= window:
                    await asyncio.wait_for(all_have(n - window), timeout=30)
            total += batch
        await asyncio.wait_for(all_have(total), timeout=30)
        assert total > STOP_AFTER
        for reader in readers_on:
            assert reader.received == list(range(total))
            assert not reader.task.done()

        for reader in stoppers:
            reader.resume.set()
        await asyncio.wait_for(asyncio.gather(*(r.task for r in stoppers)), timeout=60)
        for reader, connection in zip(stoppers, connections, strict=False):
            assert connection.close_code == SLOW_CONSUMER
            assert "queue" in (connection.close_reason or "")
            assert reader.received == list(range(len(reader.received)))
            assert STOP_AFTER <= len(reader.received) < total
    finally:
        await broker.close()
        for reader in readers:
            reader.task.cancel()
        for connection in connections:
            with contextlib.suppress(Exception):
                await connection.close()


async def _asyncio_tasks(api: httpx.AsyncClient) -> float:
    for line in (await api.get("/metrics")).text.splitlines():
        if line.startswith("washline_realtime_asyncio_tasks "):
            return float(line.split()[-1])
    raise AssertionError("no asyncio_tasks gauge")


async def test_a_subscribed_socket_at_rest_or_keeping_up_holds_one_task(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    """Frames to a socket that keeps up are written inline: no writer task per socket, at
    rest or during a broadcast; the one task left is the handler reading client ops."""
    clients, events = 15, 20  # under the per-user cap of 20
    server = start_server(postgres_url, clean_redis_url)
    admin = await make_account(server, postgres_url, Role.ADMIN)
    api = http(server)
    before = await _asyncio_tasks(api)
    url = f"{server.ws_url}?token={admin.token}"
    connections = [await _connect(url, stopper=False) for _ in range(clients)]
    broker = RedisBroker(clean_redis_url)
    try:
        for connection in connections:
            await connection.send(json.dumps({"op": "subscribe", "channel": "ops", "ref": 1}))
            assert json.loads(await connection.recv())["ok"] is True
        for n in range(events):
            await broker.publish("ops", "load.test", {"n": n})
        for connection in connections:
            got: list[int] = []
            while len(got) < events:
                frame = json.loads(await asyncio.wait_for(connection.recv(), timeout=30))
                if frame.get("event") == "load.test":
                    got.append(frame["data"]["n"])
            assert got == list(range(events))
        # Per socket: its handler task, and nothing else (a writer per socket would double
        # it). The margin covers the server's own background work coming and going.
        assert await _asyncio_tasks(api) - before <= clients + 5
    finally:
        await broker.close()
        for connection in connections:
            await connection.close()
