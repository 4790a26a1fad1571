"""The benchmark's publisher process, paced on an absolute schedule.

Event ``s`` (0-based) is due at ``t0 + s / rate`` and goes to channel ``s % nchannels``; its
data is ``{"sent": <unix time just before the publish call>, "seq": s, "run": <nonce>}``.
For Washline it publishes through the product's own broker (``RedisBroker.publish``: the
same atomic Lua script the app uses); for the floor it sends a plain Redis PUBLISH of an
equivalent, already encoded envelope. Publishes run concurrently (bounded) so one slow
round trip does not push every later event off its schedule; the schedule lag (actual send
time minus due time) is reported so pacing can be checked. Prints one JSON line when done.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis

from bench.common import channel_name, emit, percentile

Send = Callable[[str, int, str], Awaitable[Any]]
Close = Callable[[], Awaitable[Any]]

FLOOR_PREFIX = "floorbench:c:"


async def washline_sender(url: str) -> tuple[Send, Close]:
    from realtime.redis_broker import RedisBroker

    broker = RedisBroker(url)
    await broker.start()

    def send(channel: str, seq: int, nonce: str) -> Awaitable[Any]:
        return broker.publish(channel, "bench", {"sent": time.time(), "seq": seq, "run": nonce})

    return send, broker.close


async def floor_sender(url: str) -> tuple[Send, Close]:
    client = aioredis.Redis.from_url(url)
    await client.ping()

    def send(channel: str, seq: int, nonce: str) -> Awaitable[Any]:
        now = time.time()
        envelope = {
            "type": "event",
            "channel": channel,
            "id": str(seq + 1),
            "event": "bench",
            "ts": datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z"),
            "data": {"sent": now, "seq": seq, "run": nonce},
        }
        return client.publish(FLOOR_PREFIX + channel, json.dumps(envelope, separators=(",", ":")))

    return send, client.aclose


async def main_async(args: argparse.Namespace) -> None:
    make = washline_sender if args.target == "washline" else floor_sender
    send, close = await make(args.redis)
    channels = [channel_name(args.template, i, args.base) for i in range(args.nchannels)]
    total = round(args.rate * args.duration)
    inflight = asyncio.Semaphore(args.max_inflight)
    lags: list[float] = []
    errors = 0
    tasks: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()

    async def publish(seq: int, due_wall: float) -> None:
        nonlocal errors
        async with inflight:
            lags.append(time.time() - due_wall)
            try:
                await send(channels[seq % args.nchannels], seq, args.nonce)
            except Exception:
                errors += 1

    t0 = loop.time() + 0.2
    wall0 = time.time() + (t0 - loop.time())
    first_send = wall0
    for seq in range(total):
        due = t0 + seq / args.rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(publish(seq, wall0 + seq / args.rate))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*list(tasks))
    last_done = time.time()
    await close()
    lags.sort()
    emit(
        {
            "published": total - errors,
            "attempted": total,
            "errors": errors,
            "first_send": first_send,
            "last_done": last_done,
            "achieved_rate": round(total / max(1e-9, last_done - first_send), 1),
            "lag_p50_ms": round((percentile(lags, 0.5) or 0) * 1000, 3),
            "lag_p99_ms": round((percentile(lags, 0.99) or 0) * 1000, 3),
            "lag_max_ms": round((lags[-1] if lags else 0) * 1000, 3),
            "cpu_seconds": round(time.process_time(), 3),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="paced benchmark publisher")
    parser.add_argument("--target", choices=["washline", "floor"], required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--rate", type=float, required=True, help="events per second in all")
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--nchannels", type=int, required=True)
    parser.add_argument("--template", required=True)
    parser.add_argument("--base", type=int, default=0)
    parser.add_argument("--nonce", required=True)
    parser.add_argument("--max-inflight", type=int, default=32)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
