"""One load-generator process of `bench.location`: its share of washers and customers.

At 1,000 fixes/s one process spends most of a core on JSON and WebSocket framing for 1,000
sockets, and on a 2-core machine that is the server's other core: `--generators N` splits
the pairs over N processes. Each process opens every connection first (a bounded number of
handshakes at a time, so connection set-up is neither measured nor timed out), reports
ready, waits for the common start time, then sends fixes on an absolute schedule and sends
back what it saw: reply counts and fix-to-customer latencies.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

import websockets

DESTINATION = (30.2672, -97.7431)
START_OFFSET = 0.045  # ~5 km north: far outside the geofence for the whole run
STEP = 0.00005  # ~5.5 m per fix
HANDSHAKES_AT_ONCE = 32
OPEN_TIMEOUT = 120.0
ANSWER_TIMEOUT = 60.0


@dataclass(frozen=True)
class Pair:
    """A washer driving to an order and the order's customer watching its track."""

    index: int
    washer_token: str
    customer_token: str
    order_id: int


@dataclass
class Seen:
    latencies: list[float] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)
    """Each latency's fix `ts` (Unix seconds), so latency can be read over the window."""
    replies: dict[str, int] = field(
        default_factory=lambda: {"accepted": 0, "coalesced": 0, "rejected": 0}
    )
    last_answer: float = 0.0
    unanswered: int = 0


async def _open(url: str, token: str, gate: asyncio.Semaphore) -> Any:
    async with gate:
        return await websockets.connect(
            f"{url}?token={token}", max_size=None, open_timeout=OPEN_TIMEOUT
        )


async def _watch(ws: Any, seen: Seen, until: list[float]) -> None:
    while (remaining := until[0] - time.time()) > 0:
        try:
            message = await asyncio.wait_for(ws.recv(), timeout=min(1.0, remaining))
        except TimeoutError:
            continue
        except websockets.ConnectionClosed:
            return
        frame = json.loads(message)
        if frame.get("event") == "order.location":
            sent = datetime.fromisoformat(frame["data"]["ts"]).timestamp()
            seen.latencies.append((time.time() - sent) * 1000)
            seen.sent_at.append(sent)


async def _read_replies(ws: Any, seen: Seen, counted: list[int], all_in: asyncio.Event) -> None:
    async for message in ws:
        frame = json.loads(message)
        if frame.get("type") == "reply":
            status = frame.get("status", "accepted")
            seen.replies[status] = seen.replies.get(status, 0) + 1
        elif frame.get("type") == "error":
            seen.replies["rejected"] += 1
        else:
            continue
        counted[0] += 1
        if counted[0] >= counted[1]:
            seen.last_answer = max(seen.last_answer, time.time())
            all_in.set()


async def _drive(ws: Any, index: int, rate: float, start: float, stop: float, seen: Seen) -> None:
    """Send fixes on schedule, then wait (bounded) for the answer to every one of them, so a
    server that fell behind is measured until it has caught up, not cut off."""
    counted = [0, 1 << 62]  # answers so far, answers owed (known once sending ends)
    all_in = asyncio.Event()
    reader = asyncio.create_task(_read_replies(ws, seen, counted, all_in))
    period = 1.0 / rate
    next_at = start + (index % 100) * period / 100
    step = 0
    while next_at < stop:
        await asyncio.sleep(max(0.0, next_at - time.time()))
        lat = DESTINATION[0] + START_OFFSET - STEP * step
        fix = {
            "op": "location",
            "ref": step,
            "lat": lat,
            "lng": DESTINATION[1],
            "ts": datetime.now(UTC).isoformat(),
            "speed": 8.0,
            "accuracy": 5.0,
        }
        await ws.send(json.dumps(fix))
        step += 1
        next_at += period
    counted[1] = step
    if counted[0] >= step:
        all_in.set()
    try:
        await asyncio.wait_for(all_in.wait(), ANSWER_TIMEOUT)
    except TimeoutError:
        seen.unanswered += step - counted[0]
    reader.cancel()


async def generate(conn: Connection, url: str, pairs: list[Pair], rate: float) -> None:
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    seen = Seen()
    until = [time.time() + 3600]
    customers = await asyncio.gather(*(_open(url, p.customer_token, gate) for p in pairs))
    for ws, pair in zip(customers, pairs, strict=True):
        await ws.send(json.dumps({"op": "subscribe", "channel": f"order:{pair.order_id}:track"}))
    watchers = [asyncio.create_task(_watch(ws, seen, until)) for ws in customers]
    washers = await asyncio.gather(*(_open(url, p.washer_token, gate) for p in pairs))
    conn.send("ready")
    start, stop = await asyncio.to_thread(conn.recv)
    await asyncio.gather(
        *(
            _drive(ws, p.index, rate, start, stop, seen)
            for ws, p in zip(washers, pairs, strict=True)
        )
    )
    until[0] = time.time() + 2  # the last fixes' track events
    await asyncio.gather(*watchers, return_exceptions=True)
    conn.send(
        {
            "latencies": seen.latencies,
            "sent_at": seen.sent_at,
            "replies": seen.replies,
            "last_answer": seen.last_answer,
            "unanswered": seen.unanswered,
        }
    )
    # Closed only once the orchestrator has read the server's CPU: 2,000 sessions ending
    # (presence, unsubscribes) is not the cost of a fix.
    await asyncio.to_thread(conn.recv)
    await asyncio.gather(*(ws.close() for ws in [*customers, *washers]))


def run(conn: Connection, url: str, pairs: list[Pair], rate: float) -> None:
    """A generator process's entry point."""
    asyncio.run(generate(conn, url, pairs, rate))
