"""Open-loop HTTP load generator for `bench.api`, run in its own process.

    python -m bench.api_load PLAN.json      # JSON lines on stdout

Request *i* is due at ``t0 + i / rate`` whatever happened to the ones before it (open loop):
a slow server makes requests overlap, never makes the generator send fewer of them. Latency
is measured from the request's due time, not from when it was written, so time spent
waiting for a connection or for this process's event loop counts against the server it
stands in for (no coordinated omission). The generator reports its own schedule lag and CPU
so a run can say when the generator, not the server, was the limit.

It speaks HTTP/1.1 with keep-alive over plain asyncio streams (Content-Length or chunked
bodies): a general-purpose client would cost this process more CPU per request than the
server under test spends on some routes.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import emit

Request = tuple[str, str, str | None, bytes | None]
"""method, path, bearer token (or None), JSON body (or None)."""

MAX_CONNECTIONS = 512
IDLE_REUSE_SECONDS = 2.0
"""Idle connections older than this are closed, not reused: uvicorn closes a keep-alive
connection after 5 s idle, and a request written into one that is closing is lost."""


class HttpError(Exception):
    """The response could not be read as HTTP/1.1."""


@dataclass
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0


class Client:
    """Keep-alive connections to one host:port, opened on demand up to MAX_CONNECTIONS."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.idle: list[Connection] = []
        self.open = 0
        self.freed = asyncio.Condition()

    async def _take(self) -> Connection:
        while True:
            while self.idle:
                conn = self.idle.pop()
                if time.monotonic() - conn.idle_since < IDLE_REUSE_SECONDS:
                    return conn
                conn.writer.close()
                self.open -= 1
            if self.open < MAX_CONNECTIONS:
                self.open += 1
                try:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                except OSError:
                    self.open -= 1
                    raise
                return Connection(reader, writer)
            async with self.freed:
                await self.freed.wait()

    async def _give_back(self, conn: Connection | None) -> None:
        if conn is None:
            self.open -= 1
        else:
            conn.idle_since = time.monotonic()
            self.idle.append(conn)
        async with self.freed:
            self.freed.notify()

    async def request(
        self, method: str, path: str, token: str | None, body: bytes | None
    ) -> tuple[int, bytes]:
        conn = await self._take()
        keep: Connection | None = None
        try:
            head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            if token:
                head.append(f"Authorization: Bearer {token}")
            if body is not None:
                head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
            conn.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + (body or b""))
            status, payload, reusable = await read_response(conn.reader)
            if reusable:
                keep = conn
            else:
                conn.writer.close()
            return status, payload
        except BaseException:
            conn.writer.close()
            raise
        finally:
            await self._give_back(keep)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, connection reusable) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise HttpError(f"bad status line {lines[0]!r}")
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(chunks)
    elif status in (204, 304):
        body = b""
    else:
        raise HttpError("response without a length")
    return status, body, headers.get("connection", "").lower() != "close"


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass
class Mix:
    """Builds the next request of each kind from the seeded ids and what the run created."""

    plan: dict[str, Any]
    rng: random.Random
    chains: list[str] = field(default_factory=list)
    """Refresh tokens not in flight: each is used once, and its successor joins the list."""

    def __post_init__(self) -> None:
        seeded = self.plan["seeded"]
        self.customers: list[int] = seeded["customers"]
        self.orders_of: list[list[int]] = seeded["orders_by_customer"]
        self.pending: list[list[int]] = list(seeded["pending"])
        self.rng.shuffle(self.pending)
        self.active: list[list[int]] = seeded["active"]
        self.vehicles: list[int] = seeded["vehicles"]
        self.tokens: dict[str, str] = self.plan["tokens"]
        self.fix_step: dict[int, int] = {}

    def token(self, user_id: int) -> str:
        return self.tokens[str(user_id)]

    def order_detail(self) -> Request:
        i = self.rng.randrange(len(self.customers))
        order = self.rng.choice(self.orders_of[i])
        return "GET", f"/api/orders/{order}", self.token(self.customers[i]), None

    def my_orders(self) -> Request:
        customer = self.rng.choice(self.customers)
        return "GET", "/api/orders?limit=20", self.token(customer), None

    def chat_history(self) -> Request:
        customer, _, order = self.rng.choice(self.active)
        return "GET", f"/api/orders/{order}/messages?limit=50", self.token(customer), None

    def notifications(self) -> Request:
        customer = self.rng.choice(self.customers)
        return "GET", "/api/me/notifications?limit=20", self.token(customer), None

    def washers_online(self) -> Request:
        return "GET", "/api/admin/washers/online", self.plan["admin_token"], None

    def create_order(self) -> Request:
        i = self.rng.randrange(len(self.customers))
        body = {
            "vehicle_id": self.vehicles[i],
            "package_id": self.plan["seeded"]["package_id"],
            "address": "1 Bench St",
            "lat": 30.2672,
            "lng": -97.7431,
        }
        return "POST", "/api/orders", self.token(self.customers[i]), _json(body)

    def transition(self) -> Request | None:
        if not self.pending:
            return None
        customer, order = self.pending.pop()
        body = _json({"to": "cancelled", "reason": "bench"})
        return "POST", f"/api/orders/{order}/transitions", self.token(customer), body

    def post_chat(self) -> Request:
        customer, _, order = self.rng.choice(self.active)
        body = _json({"body": "on my way?"})
        return "POST", f"/api/orders/{order}/messages", self.token(customer), body

    def location_batch(self) -> Request:
        _, washer, _ = self.rng.choice(self.active)
        step = self.fix_step.get(washer, 0)
        self.fix_step[washer] = step + 5
        now = datetime.now(UTC)
        fixes = [
            {
                "lat": 30.31 - 0.00005 * (step + k),
                "lng": -97.7431,
                "ts": (now - timedelta(seconds=4 - k)).isoformat(),
                "speed": 8.0,
                "accuracy": 5.0,
            }
            for k in range(5)
        ]
        return "POST", "/api/washers/me/location", self.token(washer), _json({"fixes": fixes})

    def login(self) -> Request:
        n = self.rng.randrange(len(self.customers))
        body = _json({"email": f"c{n}@bench.test", "password": self.plan["password"]})
        return "POST", "/api/auth/login", None, body

    def refresh(self) -> Request | None:
        if not self.chains:
            return None
        body = _json({"refresh_token": self.chains.pop(0)})
        return "POST", "/api/auth/refresh", None, body

    def after(self, route: str, status: int, payload: bytes) -> None:
        """What a response adds to the mix: a new pending order, a chain's next token."""
        if status >= 300:
            return
        if route == "create_order":
            created = json.loads(payload)
            self.pending.append([created["customer_id"], created["id"]])
        elif route in ("refresh", "login"):
            self.chains.append(json.loads(payload)["refresh_token"])
            del self.chains[:-64]


@dataclass
class RouteStats:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    skipped: int = 0


def weighted_schedule(weights: dict[str, float], count: int, rng: random.Random) -> list[str]:
    """`count` route names drawn with the mix's weights (the run's fixed request sequence)."""
    names = [n for n, w in weights.items() if w > 0]
    return rng.choices(names, weights=[weights[n] for n in names], k=count)


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    rng = random.Random(plan.get("seed", 1))
    client = Client(plan["host"], plan["port"])
    mix = Mix(plan, rng)
    for _ in range(16):  # refresh chains to start from (not measured)
        status, payload = await client.request(*mix.login())
        if status == 200:
            mix.after("login", status, payload)
    rate = float(plan["rate"])
    warmup = float(plan["warmup"])
    total = int(rate * (warmup + float(plan["seconds"])))
    measured_from = int(rate * warmup)
    routes = weighted_schedule(plan["weights"], total, rng)
    stats: dict[str, RouteStats] = {name: RouteStats() for name in plan["weights"]}
    builders: dict[str, Callable[[], Request | None]] = {n: getattr(mix, n) for n in stats}
    in_flight: set[asyncio.Task[None]] = set()
    max_lag = 0.0
    t0 = time.perf_counter() + 0.2

    async def one(route: str, request: Request, due: float, record: bool) -> None:
        try:
            status, payload = await asyncio.wait_for(client.request(*request), 30)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, HttpError, ValueError) as exc:
            if record:
                stats[route].errors += 1
                if len(stats[route].error_samples) < 3:
                    stats[route].error_samples.append(f"{type(exc).__name__}: {exc}"[:200])
            return
        done = time.perf_counter()
        mix.after(route, status, payload)
        if not record:
            return
        s = stats[route]
        s.statuses[str(status)] = s.statuses.get(str(status), 0) + 1
        if status >= 400:
            s.errors += 1
            if len(s.error_samples) < 3:
                s.error_samples.append(f"{status} {request[0]} {request[1]}: {payload[:160]!r}")
        s.latencies_ms.append((done - due) * 1000)

    cpu_start = 0.0
    for i, route in enumerate(routes):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            max_lag = max(max_lag, -delay)
        if i == measured_from:
            emit({"event": "measure_start"})
            cpu_start = time.process_time()
        request = builders[route]()
        if request is None:
            if i >= measured_from:
                stats[route].skipped += 1
            continue
        task = asyncio.create_task(one(route, request, due, i >= measured_from))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.wait(in_flight, timeout=35)
    emit({"event": "measure_end"})
    cpu = time.process_time() - cpu_start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "event": "result",
        "sent": total - measured_from,
        "seconds": plan["seconds"],
        "rate": rate,
        "max_schedule_lag_ms": round(max_lag * 1000, 2),
        "loadgen_cpu_s": round(cpu, 3),
        "loadgen_max_rss_kb": usage.ru_maxrss,
        "connections_open": client.open,
        "routes": {name: s.__dict__ for name, s in stats.items()},
    }


def main() -> None:
    with open(sys.argv[1]) as handle:
        plan = json.load(handle)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(run(plan))
    path = plan.get("result_path")
    if path:
        # Every latency of the phase is in it: hundreds of kB, more than a pipe holds, and a
        # long line on the pipe arrived cut at 64 kB in runs where the server fell behind.
        with open(path + ".tmp", "w") as handle:
            json.dump(result, handle)
        os.replace(path + ".tmp", path)
        emit({"event": "result", "path": path})
    else:
        emit(result)


if __name__ == "__main__":
    main()
