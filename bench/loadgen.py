"""One load-generator process: many real WebSocket clients (asyncio + ``websockets``).

Each client connects, subscribes to its channel, waits for the reply and then counts the
benchmark's events by sequence number, timing each one as receive time minus the send time
the publisher embedded. The orchestrator (``bench.run``) drives it with JSON lines:

    stdout  {"ready": ...}            all clients connected and subscribed
    stdin   {"cmd": "finish", ...}    the publisher is done: drain, then report
    stdout  {"report": ...}           counts, losses by id, latencies written to a file
    stdin   {"cmd": "close"}          close every socket and exit

Client ``g`` (global index) listens on channel ``g % nchannels``; the publisher sends
sequence ``s`` to channel ``s % nchannels``, so every client knows exactly which ids it is
owed once it knows how many events were published.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import time
from array import array
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from bench.common import channel_name, emit, raise_nofile


class Data(msgspec.Struct):
    sent: float = 0.0
    seq: int = -1
    run: str = ""


class Frame(msgspec.Struct):
    type: str = ""
    ref: int | str | None = None
    ok: bool | None = None
    code: str | None = None
    data: Data | None = None


_decode = msgspec.json.Decoder(Frame).decode

STALL_SECONDS = 0.004
"""A wake-up of the load generator's own loop this late counts as a stall."""


class LoopStalls:
    """How late this process's event loop wakes from a short sleep. Every frame's latency
    includes the time the client's loop took to get to it, so a stall here (the process
    not scheduled, or busy) shows up in the latencies as if the server were late; the
    report counts the stalls inside the delivery window to tell the two apart."""

    def __init__(self, every: float = 0.005) -> None:
        self.every = every
        self.late: list[tuple[float, float]] = []
        """(when the wake-up was due, how late it came), for wake-ups over a millisecond."""

    async def run(self) -> None:
        clock = time.time
        while True:
            due = clock() + self.every
            await asyncio.sleep(self.every)
            late = clock() - due
            if late > 0.001:
                self.late.append((due, late))

    def summary(self, start: float | None, end: float | None) -> dict[str, Any]:
        inside = [late for due, late in self.late if start and end and start <= due <= end]
        return {
            "loop_stalls": sum(1 for late in inside if late > STALL_SECONDS),
            "loop_stall_max_ms": round(max(inside, default=0.0) * 1000, 2),
        }


class Client:
    __slots__ = ("closed_code", "count", "dups", "index", "seen", "ws")

    def __init__(self, index: int) -> None:
        self.index = index  # channel index
        self.count = 0
        self.dups = 0
        self.seen = bytearray()
        self.closed_code: int | None = None
        self.ws: ClientConnection | None = None


class LoadGen:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.nonce: str = args.nonce
        self.nchannels: int = args.nchannels
        self.clients: list[Client] = []
        self.latencies = array("d")
        self.stalls = LoopStalls()
        self.failed = 0
        self.failures: dict[str, int] = {}
        self.subscribe_errors = 0
        self.foreign = 0
        self.misrouted = 0
        self.first_recv: float | None = None
        self.last_recv: float | None = None
        self.unique = 0
        self.tasks: list[asyncio.Task[None]] = []

    async def open_all(self) -> None:
        limit = asyncio.Semaphore(self.args.connect_concurrency)
        ready: list[asyncio.Future[None]] = []
        loop = asyncio.get_running_loop()
        for offset in range(self.args.count):
            g = self.args.first + offset
            client = Client(g % self.nchannels)
            self.clients.append(client)
            subscribed = loop.create_future()
            ready.append(subscribed)
            self.tasks.append(asyncio.create_task(self.run_client(client, limit, subscribed)))
        await asyncio.gather(*ready)

    async def run_client(
        self, client: Client, limit: asyncio.Semaphore, subscribed: asyncio.Future[None]
    ) -> None:
        channel = channel_name(self.args.template, client.index, self.args.base)
        try:
            async with limit:
                ws = await connect(
                    self.args.url,
                    compression="deflate" if self.args.compression else None,
                    ping_interval=None,
                    open_timeout=60,
                    close_timeout=2,
                    max_size=1 << 20,
                )
                client.ws = ws
                await ws.send(json.dumps({"op": "subscribe", "channel": channel, "ref": 1}))
                while True:  # the reply may follow other frames
                    frame = _decode(await ws.recv(decode=False))
                    if frame.type == "reply" and frame.ref == 1:
                        break
                    if frame.type == "error" and frame.ref == 1:
                        self.subscribe_errors += 1
                        break
        except (OSError, InvalidHandshake, InvalidURI, ConnectionClosed, TimeoutError) as exc:
            self.failed += 1
            name = type(exc).__name__
            self.failures[name] = self.failures.get(name, 0) + 1
            subscribed.set_result(None)
            return
        subscribed.set_result(None)
        await self.receive(client, ws)

    async def receive(self, client: Client, ws: ClientConnection) -> None:
        nonce, nchannels, latencies = self.nonce, self.nchannels, self.latencies
        clock = time.time
        try:
            while True:
                raw = await ws.recv(decode=False)
                now = clock()
                try:
                    frame = _decode(raw)
                except msgspec.DecodeError:
                    self.foreign += 1
                    continue
                data = frame.data
                if frame.type != "event" or data is None or data.run != nonce:
                    self.foreign += 1  # replies, or someone else's events on a shared Redis
                    continue
                seq = data.seq
                if seq % nchannels != client.index:
                    self.misrouted += 1
                    continue
                k = seq // nchannels
                seen = client.seen
                if k >= len(seen):
                    seen.extend(bytes(k - len(seen) + 64))
                if seen[k]:
                    client.dups += 1
                    continue
                seen[k] = 1
                client.count += 1
                self.unique += 1
                latencies.append(now - data.sent)
                if self.first_recv is None:
                    self.first_recv = now
                self.last_recv = now
        except ConnectionClosed as exc:
            client.closed_code = exc.rcvd.code if exc.rcvd is not None else 1006

    def expected(self, index: int, published: int) -> int:
        full, extra = divmod(published, self.nchannels)
        return full + (1 if index < extra else 0)

    async def drain(self, published: int, idle_timeout: float, max_wait: float) -> float:
        connected = [c for c in self.clients if c.ws is not None]
        target = sum(self.expected(c.index, published) for c in connected)
        start = time.monotonic()
        last_progress, last_count = start, self.unique
        while self.unique < target:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            if self.unique != last_count:
                last_progress, last_count = now, self.unique
            if now - last_progress > idle_timeout or now - start > max_wait:
                break
        return time.monotonic() - start

    def report(self, published: int, drain_seconds: float) -> dict[str, Any]:
        missing_total = 0
        clients_with_loss = 0
        examples: list[list[int]] = []
        closed: dict[str, int] = {}
        dups = 0
        for offset, client in enumerate(self.clients):
            if client.ws is None:
                continue
            dups += client.dups
            if client.closed_code is not None:
                closed[str(client.closed_code)] = closed.get(str(client.closed_code), 0) + 1
            owed = self.expected(client.index, published)
            seen = client.seen
            missing = [k for k in range(owed) if k >= len(seen) or not seen[k]]
            if missing:
                clients_with_loss += 1
                missing_total += len(missing)
                if len(examples) < 5:
                    seqs = [client.index + k * self.nchannels for k in missing[:5]]
                    examples.append([self.args.first + offset, *seqs])
        path = self.args.latency_file
        with open(path, "wb") as handle:
            self.latencies.tofile(handle)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "connected": sum(1 for c in self.clients if c.ws is not None),
            "failed": self.failed,
            "failures": self.failures,
            "subscribe_errors": self.subscribe_errors,
            "expected": sum(
                self.expected(c.index, published) for c in self.clients if c.ws is not None
            ),
            "received": self.unique,
            "missing": missing_total,
            "clients_with_loss": clients_with_loss,
            "missing_examples": examples,
            "duplicates": dups,
            "foreign": self.foreign,
            "misrouted": self.misrouted,
            "closed_by_server": closed,
            "first_recv": self.first_recv,
            "last_recv": self.last_recv,
            "drain_seconds": round(drain_seconds, 3),
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "latency_file": path,
            **self.stalls.summary(self.first_recv, self.last_recv),
        }

    async def close_all(self) -> None:
        async def close(client: Client) -> None:
            if client.ws is not None:
                with contextlib.suppress(Exception):
                    await client.ws.close()

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(15):
                await asyncio.gather(*(close(c) for c in self.clients))
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def read_command() -> dict[str, Any]:
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:  # the orchestrator went away: stop
        return {"cmd": "close"}
    result: dict[str, Any] = json.loads(line)
    return result


async def main_async(args: argparse.Namespace) -> None:
    gen = LoadGen(args)
    started = time.monotonic()
    await gen.open_all()
    watch = asyncio.create_task(gen.stalls.run())
    emit(
        {
            "ready": True,
            "pid": os.getpid(),
            "connected": sum(1 for c in gen.clients if c.ws is not None),
            "failed": gen.failed,
            "failures": gen.failures,
            "subscribe_errors": gen.subscribe_errors,
            "open_seconds": round(time.monotonic() - started, 3),
        }
    )
    while True:
        command = await read_command()
        if command["cmd"] == "finish":
            drained = await gen.drain(
                command["published"], command["idle_timeout"], command["max_wait"]
            )
            emit({"report": gen.report(command["published"], drained)})
        elif command["cmd"] == "close":
            watch.cancel()
            await gen.close_all()
            emit({"closed": True})
            return


def main() -> None:
    parser = argparse.ArgumentParser(description="benchmark WebSocket clients (one process)")
    parser.add_argument("--url", required=True)
    parser.add_argument("--first", type=int, default=0, help="global index of the first client")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--nchannels", type=int, required=True)
    parser.add_argument("--template", required=True, help='"ops" or "user:{n}"')
    parser.add_argument("--base", type=int, default=0)
    parser.add_argument("--nonce", required=True)
    parser.add_argument("--connect-concurrency", type=int, default=64)
    parser.add_argument("--latency-file", required=True)
    parser.add_argument("--compression", action="store_true", help="offer permessage-deflate")
    args = parser.parse_args()
    raise_nofile()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
