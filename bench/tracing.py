"""Cost of tracing on the REST path: the same booking loop against three servers, one run.

    .venv/bin/python -m bench.tracing                        # off vs on, 3 rounds
    .venv/bin/python -m bench.tracing --baseline main        # + the code of `main` as floor

Targets, each a fresh `washline serve` in embedded mode (SQLite, in-process broker) with an
admin watching `ops` over a WebSocket, so every booking also goes through the outbox, the
relay and a live delivery:
  baseline  the code of a git ref (exported with `git archive`), without any tracing code;
  off       this tree, tracing off (the default): no plugin, no hooks, no spans;
  on        this tree, WASHLINE_TRACING=on, spans exported over OTLP/HTTP to a sink in this
            process that answers 200 (the cost of making and exporting every span).
The loop: ``--workers`` concurrent clients each book an order and read it back, for
``--requests`` requests in all. Targets run interleaved for ``--rounds`` rounds, each round
starting with the next target; the median
of each is reported with ratios to the first target. Server CPU per request is the figure to
trust on a shared machine; throughput and latency move with the neighbours' load.
Everything talks to 127.0.0.1 only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psutil
from websockets.asyncio.client import connect

from bench.common import LOCALHOST, free_port, percentile

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ("bench-admin@washline.test", "bench-admin-password")
CUSTOMER = ("bench-customer@washline.test", "bench-customer-password")
ADDRESS = {"address": "500 Congress Ave, Austin", "lat": 30.2672, "lng": -97.7431}


class OtlpSink:
    """Accepts OTLP/HTTP exports and counts them; never looks inside."""

    def __init__(self) -> None:
        self.requests = 0
        self.bytes = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                self.rfile.read(length)
                sink.requests += 1
                sink.bytes += length
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((LOCALHOST, 0), Handler)
        self.url = f"http://{LOCALHOST}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@dataclass
class Target:
    name: str
    code: Path
    env: dict[str, str]


@dataclass
class Result:
    target: str
    requests: int
    seconds: float
    cpu_seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_seconds / self.requests * 1e6


def _cli(code: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=code,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def _environment(target: Target, database: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(target.code),
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PASSWORD_HASH_FAST": "true",
        "AUTH_RATE_LIMIT_PER_MINUTE": "100000",
        "AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE": "100000",
        "MAX_OPEN_ORDERS_PER_CUSTOMER": "1000000",
        "LOG_LEVEL": "WARNING",
        **target.env,
    }
    return env


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def _loop(
    base: str, requests: int, workers: int, server: psutil.Process
) -> tuple[float, float, list[float]]:
    """(seconds, server CPU seconds, latencies) of the measured requests, after a warm-up
    of a few bookings per worker."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as api:

        async def login(email: str, password: str) -> dict[str, str]:
            response = await api.post(
                "/api/auth/login", json={"email": email, "password": password}
            )
            response.raise_for_status()
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

        admin, customer = await login(*ADMIN), await login(*CUSTOMER)
        package = await api.post(
            "/api/packages",
            headers=admin,
            json={"name": "Bench wash", "base_price_cents": 2500, "duration_minutes": 30},
        )
        vehicle = await api.post(
            "/api/vehicles",
            headers=customer,
            json={"make": "Volvo", "model": "V70", "plate": "BENCH-1", "size": "medium"},
        )
        order_in = {"vehicle_id": vehicle.json()["id"], "package_id": package.json()["id"]}
        token = admin["Authorization"].split()[1]
        ws_url = base.replace("http", "ws", 1) + f"/ws?token={token}"
        latencies: list[float] = []
        async with connect(ws_url) as socket:
            await socket.send('{"op":"subscribe","channel":"ops","ref":1}')
            await asyncio.wait_for(socket.recv(), 10)

            async def drain() -> None:
                with contextlib.suppress(Exception):
                    async for _ in socket:
                        pass

            reader = asyncio.create_task(drain())
            per_worker = requests // (2 * workers)

            async def worker(count: int, into: list[float]) -> None:
                for _ in range(count):
                    started = time.perf_counter()
                    booked = await api.post(
                        "/api/orders", headers=customer, json={**order_in, **ADDRESS}
                    )
                    booked.raise_for_status()
                    middle = time.perf_counter()
                    read = await api.get(f"/api/orders/{booked.json()['id']}", headers=customer)
                    read.raise_for_status()
                    into.extend([middle - started, time.perf_counter() - middle])

            warm_up: list[float] = []
            await asyncio.wait_for(
                asyncio.gather(*(worker(5, warm_up) for _ in range(workers))), 120
            )
            cpu_before, begun = _cpu(server), time.perf_counter()
            await asyncio.wait_for(
                asyncio.gather(*(worker(per_worker, latencies) for _ in range(workers))), 900
            )
            elapsed, cpu = time.perf_counter() - begun, _cpu(server) - cpu_before
            reader.cancel()
        return elapsed, cpu, sorted(latencies)


def run_one(target: Target, requests: int, workers: int, scratch: Path) -> Result:
    database = scratch / f"{target.name}-{time.monotonic_ns()}.db"
    env = _environment(target, database)
    _cli(target.code, env, "db", "upgrade")
    for (email, password), role in ((ADMIN, "admin"), (CUSTOMER, "customer")):
        _cli(target.code, env, "users", "create", "--role", role, "--email", email,
             "--password", password, "--name", role)  # fmt: skip
    port = free_port()
    log = (scratch / f"{target.name}.log").open("ab")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", LOCALHOST, "--port", str(port)],
        cwd=target.code,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://{LOCALHOST}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"{target.name} did not start; see {log.name}")
            time.sleep(0.1)
        elapsed, cpu, latencies = asyncio.run(
            _loop(base, requests, workers, psutil.Process(server.pid))
        )
        return Result(target.name, len(latencies), elapsed, cpu, latencies)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _ms(sorted_latencies: list[float], fraction: float) -> float:
    return (percentile(sorted_latencies, fraction) or 0.0) * 1000


def export_ref(ref: str, into: Path) -> Path:
    """The tree of ``ref`` as plain files (no work tree, no checkout of this repository)."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True, timeout=120
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True, timeout=120)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="git ref whose code is the floor (e.g. main)")
    parser.add_argument(
        "--targets", default="off,on", help="of this tree: off, on (comma-separated)"
    )
    args = parser.parse_args()
    sink = OtlpSink()
    with tempfile.TemporaryDirectory(prefix="washline-tracing-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        targets = []
        if args.baseline:
            code = export_ref(args.baseline, scratch / "baseline")
            targets.append(Target(f"baseline ({args.baseline})", code, {}))
        chosen = args.targets.split(",")
        if "off" in chosen:
            targets.append(Target("off", ROOT, {"WASHLINE_TRACING": "off"}))
        if "on" in chosen:
            tracing_on = {"WASHLINE_TRACING": "on", "OTEL_EXPORTER_OTLP_ENDPOINT": sink.url}
            targets.append(Target("on", ROOT, tracing_on))
        results: dict[str, list[Result]] = {t.name: [] for t in targets}
        for round_number in range(1, args.rounds + 1):
            shift = (round_number - 1) % len(targets)  # no target always runs first
            for target in targets[shift:] + targets[:shift]:
                result = run_one(target, args.requests, args.workers, scratch)
                results[target.name].append(result)
                print(
                    f"round {round_number} {target.name:>16}: {result.throughput:7.1f} req/s "
                    f"{result.cpu_us_per_request:7.0f} us CPU/req "
                    f"p50 {_ms(result.latencies, 0.5):6.1f} ms "
                    f"p99 {_ms(result.latencies, 0.99):6.1f} ms",
                    flush=True,
                )
    first = targets[0].name
    medians = {
        name: {
            "req/s": statistics.median(r.throughput for r in runs),
            "CPU us/req": statistics.median(r.cpu_us_per_request for r in runs),
            "p50 ms": statistics.median(_ms(r.latencies, 0.5) for r in runs),
            "p99 ms": statistics.median(_ms(r.latencies, 0.99) for r in runs),
        }
        for name, runs in results.items()
    }
    print(f"\nmedian of {args.rounds} rounds, {args.requests} requests, {args.workers} workers")
    print(f"{'target':>16} {'req/s':>8} {'CPU us/req':>11} {'p50 ms':>7} {'p99 ms':>7}  vs {first}")
    for name, row in medians.items():
        cpu_ratio = row["CPU us/req"] / medians[first]["CPU us/req"]
        rate_ratio = row["req/s"] / medians[first]["req/s"]
        print(
            f"{name:>16} {row['req/s']:8.1f} {row['CPU us/req']:11.0f} {row['p50 ms']:7.1f} "
            f"{row['p99 ms']:7.1f}  CPU x{cpu_ratio:.3f}, req/s x{rate_ratio:.3f}"
        )
    print(f"OTLP sink: {sink.requests} exports, {sink.bytes / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
