"""The fan-out floor: the least a Python WebSocket fan-out server can do per event.

A single-file raw-ASGI application (no framework), run by uvicorn with the same WebSocket
implementation as ``washline serve`` (``websockets-sansio``). It keeps ONE Redis pub/sub
connection for the whole process; a client sends ``{"op":"subscribe","channel":...}`` and
the server forwards each published payload, decoded once per process, to every subscriber's
bounded queue, which a writer task per connection drains. There is no authentication, no
history, no envelope building: the benchmark compares Washline against this.

    python -m bench.floor_server --port 8765 --redis redis://127.0.0.1:6379/12
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
from collections import deque
from typing import Any

from redis.asyncio.connection import Connection, ConnectionPool

PREFIX = b"floorbench:c:"
MAX_QUEUE = 1024
SLOW_CONSUMER = 4008

Scope = dict[str, Any]


class Outbox:
    """One connection's bounded queue of text frames; ``offer`` never waits."""

    __slots__ = ("closed", "overflowed", "queue", "waiter")

    def __init__(self) -> None:
        self.queue: deque[str] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.closed = False
        self.overflowed = False

    def offer(self, frame: str) -> None:
        if self.closed:
            return
        if len(self.queue) >= MAX_QUEUE:  # a slow consumer is closed, never waited for
            self.closed = self.overflowed = True
            self.queue.clear()
        else:
            self.queue.append(frame)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def close(self) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class FanOut:
    """The process's single pub/sub connection and the channel -> outboxes map."""

    def __init__(self, url: str) -> None:
        self.pool = ConnectionPool.from_url(url)
        self.conn: Connection | None = None
        self.channels: dict[str, set[Outbox]] = {}
        self.pending: dict[bytes, list[asyncio.Future[None]]] = {}
        self.reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.conn = self.pool.make_connection()
        await self.conn.connect()
        self.reader = asyncio.create_task(self._read())

    async def stop(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        if self.conn is not None:
            await self.conn.disconnect()
        await self.pool.disconnect()

    async def subscribe(self, channel: str, outbox: Outbox) -> None:
        outboxes = self.channels.get(channel)
        if outboxes is None:
            outboxes = self.channels[channel] = set()
            outboxes.add(outbox)
            redis_channel = PREFIX + channel.encode()
            confirmed = asyncio.get_running_loop().create_future()
            self.pending.setdefault(redis_channel, []).append(confirmed)
            assert self.conn is not None
            await self.conn.send_command("SUBSCRIBE", redis_channel)
            await confirmed
        else:
            outboxes.add(outbox)

    def unsubscribe(self, channel: str, outbox: Outbox) -> None:
        outboxes = self.channels.get(channel)
        if outboxes is not None:
            outboxes.discard(outbox)

    async def _read(self) -> None:
        conn = self.conn
        assert conn is not None
        prefix_length = len(PREFIX)
        while True:
            reply = await conn.read_response(timeout=math.inf, push_request=True)
            if not isinstance(reply, list) or not reply:
                continue
            if reply[0] == b"message":
                outboxes = self.channels.get(reply[1][prefix_length:].decode())
                if outboxes:
                    frame = reply[2].decode()  # once per process, shared by every socket
                    for outbox in outboxes:
                        outbox.offer(frame)
            elif reply[0] == b"subscribe":
                waiters = self.pending.pop(reply[1], [])
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)


class FloorApp:
    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.fanout: FanOut | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(receive, send)
        else:
            status = 200 if scope["path"] == "/health" else 404
            await send({"type": "http.response.start", "status": status, "headers": []})
            await send({"type": "http.response.body", "body": b"ok" if status == 200 else b""})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.fanout = FanOut(self.redis_url)
                await self.fanout.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.fanout is not None:
                    await self.fanout.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _websocket(self, receive: Any, send: Any) -> None:
        fanout = self.fanout
        assert fanout is not None
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        outbox = Outbox()
        writer = asyncio.create_task(self._write(outbox, send))
        subscribed: list[str] = []
        try:
            while not outbox.closed:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                try:
                    op = json.loads(message.get("text") or message.get("bytes") or b"")
                    channel = str(op["channel"])
                    ref = op.get("ref")
                except (ValueError, KeyError, TypeError):
                    outbox.offer('{"type":"error","code":"bad_frame"}')
                    continue
                if op.get("op") == "subscribe":
                    outbox.offer(json.dumps({"type": "reply", "ref": ref, "ok": True}))
                    await fanout.subscribe(channel, outbox)
                    subscribed.append(channel)
        finally:
            for channel in subscribed:
                fanout.unsubscribe(channel, outbox)
            outbox.close()
            with contextlib.suppress(Exception):
                await writer

    @staticmethod
    async def _write(outbox: Outbox, send: Any) -> None:
        queue = outbox.queue
        try:
            while True:
                while queue:
                    await send({"type": "websocket.send", "text": queue.popleft()})
                if outbox.closed:
                    break
                outbox.waiter = asyncio.get_running_loop().create_future()
                await outbox.waiter
                outbox.waiter = None
        except Exception:  # the client went away
            return
        if outbox.overflowed:
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": SLOW_CONSUMER})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True, help="redis:// URL of the pub/sub server")
    args = parser.parse_args()
    uvicorn.run(
        FloorApp(args.redis),
        host=args.host,
        port=args.port,
        ws="websockets-sansio",
        log_config=None,
        access_log=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
