"""Soak: one server under the city simulator at high speed, with live subscribers, for a long
time; samples what a leak would grow, once a minute.

    .venv/bin/python -m bench.soak --minutes 30

It starts a throwaway PostgreSQL and a throwaway Redis (so Redis memory is this server's
alone), `washline run --no-simulate` on them (migrations and demo data), `washline simulate`
with fast washers and short washes, and `--subscribers` admin WebSockets on `ops` that
reconnect with `since` whenever they are dropped. Each sample records the server's RSS, its
established client connections, the asyncio tasks alive in its loop (from `/metrics`) and
Redis's `used_memory`. At the end it prints the table and each column's least-squares slope
per hour, over all samples and over the second half (after warm-up), and writes them to
`bench/results/soak-<UTC time>.json`. Not part of the test suite; no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import redis.asyncio as aioredis
import websockets
from washline_simulator.config import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD

from bench.common import free_port
from tests.support.services import ThrowawayPostgres, ThrowawayRedis

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
COLUMNS = ("rss_mib", "connections", "tasks", "redis_mib")


@dataclass
class Watchers:
    """What the live subscribers saw, in all."""

    events: int = 0
    reconnects: int = 0
    resets: int = 0
    last_ids: dict[int, str] = field(default_factory=dict)


async def _login(base_url: str) -> str:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        response = await client.post(
            "/api/auth/login",
            json={"email": DEFAULT_ADMIN_EMAIL, "password": DEFAULT_ADMIN_PASSWORD},
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


async def _watch(index: int, base_url: str, watchers: Watchers, stop: asyncio.Event) -> None:
    """One admin socket on `ops`, resumed from its last id after every drop."""
    ws_url = "ws" + base_url[4:] + "/ws"
    first = True
    while not stop.is_set():
        try:
            token = await _login(base_url)
            async with websockets.connect(f"{ws_url}?token={token}", open_timeout=10) as ws:
                frame: dict[str, object] = {"op": "subscribe", "channel": "ops", "ref": 1}
                if index in watchers.last_ids:
                    frame["since"] = watchers.last_ids[index]
                await ws.send(json.dumps(frame))
                if not first:
                    watchers.reconnects += 1
                first = False
                async for message in ws:
                    data = json.loads(message)
                    if data.get("type") == "event":
                        watchers.events += 1
                        watchers.last_ids[index] = str(data["id"])
                    elif data.get("type") == "reset":
                        watchers.resets += 1
                    if stop.is_set():
                        return
        except (OSError, websockets.WebSocketException, httpx.HTTPError):
            pass
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def _sample(
    server: psutil.Process, port: int, base_url: str, redis_url: str
) -> dict[str, float]:
    rss = server.memory_info().rss
    for child in server.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            rss += child.memory_info().rss
    connections = sum(
        1
        for c in server.net_connections(kind="tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port
    )
    tasks = float("nan")
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        with contextlib.suppress(httpx.HTTPError):
            for line in (await client.get("/metrics")).text.splitlines():
                if line.startswith("washline_realtime_asyncio_tasks "):
                    tasks = float(line.split()[1])
    client_redis = aioredis.from_url(redis_url)
    try:
        memory = await client_redis.info("memory")
    finally:
        await client_redis.aclose()
    return {
        "rss_mib": rss / 2**20,
        "connections": float(connections),
        "tasks": tasks,
        "redis_mib": int(memory["used_memory"]) / 2**20,
    }


async def redis_breakdown(redis_url: str) -> list[str]:
    """Keys and bytes per key family (digits replaced by N), largest first: what
    Redis's memory is made of at the end of the run."""
    client = aioredis.from_url(redis_url)
    families: dict[str, list[int]] = {}
    try:
        async for key in client.scan_iter(count=1000):
            name = key.decode(errors="replace")
            family = re.sub(r"\d+", "N", name)
            entry = families.setdefault(family, [0, 0])
            entry[0] += 1
            entry[1] += int(await client.memory_usage(key) or 0)
    finally:
        await client.aclose()
    rows = sorted(families.items(), key=lambda item: -item[1][1])
    return [f"{family:<32} {n:7d} keys {size / 2**20:8.2f} MiB" for family, (n, size) in rows]


def tracemalloc_growth(first: Path, last: Path, top: int = 15) -> list[str]:
    """Where the server's Python heap grew between two snapshots, by allocating line."""
    import tracemalloc

    before = tracemalloc.Snapshot.load(str(first))
    after = tracemalloc.Snapshot.load(str(last))
    stats = after.compare_to(before, "lineno")
    return [str(stat) for stat in stats[:top]]


def slope_per_hour(minutes: list[float], values: list[float]) -> float | None:
    """Least-squares growth per hour; None with fewer than two usable samples."""
    pairs = [(m, v) for m, v in zip(minutes, values, strict=True) if v == v]  # drop NaN
    if len(pairs) < 2 or len({m for m, _ in pairs}) < 2:
        return None
    fit = statistics.linear_regression([m for m, _ in pairs], [v for _, v in pairs])
    return fit.slope * 60


def table(samples: list[dict[str, float]]) -> list[str]:
    lines = ["minute  rss MiB  connections  tasks  redis MiB  events  reconnects"]
    for s in samples:
        lines.append(
            f"{s['minute']:6.1f}  {s['rss_mib']:7.1f}  {s['connections']:11.0f}  "
            f"{s['tasks']:5.0f}  {s['redis_mib']:9.2f}  {s['events']:6.0f}  {s['reconnects']:10.0f}"
        )
    minutes = [s["minute"] for s in samples]
    half = [s for s in samples if s["minute"] >= minutes[-1] / 2] if samples else []
    for label, rows in (("slope/hour, all samples", samples), ("slope/hour, second half", half)):
        slopes = []
        for column in COLUMNS:
            slope = slope_per_hour([r["minute"] for r in rows], [r[column] for r in rows])
            slopes.append(f"{column} {'-' if slope is None else f'{slope:+.2f}'}")
        lines.append(f"{label}: " + ", ".join(slopes))
    return lines


async def soak(
    args: argparse.Namespace, base_url: str, port: int, pid: int, redis_url: str
) -> list[dict[str, float]]:
    """Sample every interval; with --tracemalloc also ask the server for a heap snapshot."""
    watchers = Watchers()
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(_watch(i, base_url, watchers, stop)) for i in range(args.subscribers)
    ]
    server = psutil.Process(pid)
    samples: list[dict[str, float]] = []
    started = time.monotonic()
    try:
        for n in range(int(args.minutes * 60 / args.interval) + 1):
            delay = started + n * args.interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if args.tracemalloc:
                server.send_signal(signal.SIGUSR1)
            sample = await _sample(server, port, base_url, redis_url)
            sample.update(
                minute=(time.monotonic() - started) / 60,
                events=float(watchers.events),
                reconnects=float(watchers.reconnects),
            )
            samples.append(sample)
            print(table(samples)[len(samples)], flush=True)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    print(f"resets seen by subscribers: {watchers.resets}", flush=True)
    print("Redis memory by key family at the end:")
    print("\n".join(await redis_breakdown(redis_url)), flush=True)
    return samples


def _wait_ready(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError("server not ready within 120 s")


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--subscribers", type=int, default=20, help="admin sockets on ops")
    parser.add_argument("--washers", type=int, default=20)
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--speed-mps", default="60")
    parser.add_argument("--wash-seconds", default="5")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace the server's allocations (slower) and print where its heap grew",
    )
    args = parser.parse_args(argv)

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = RESULTS / f"soak-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = simulator = None
    with ThrowawayPostgres() as postgres, ThrowawayRedis() as redis_server:
        env = {
            **os.environ,
            "WASHLINE_ENV": "development",
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis_server.url,
            "PASSWORD_HASH_FAST": "true",
            "AUTH_RATE_LIMIT_PER_MINUTE": "100000",
            "AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE": "100000",
            "ACCESS_TOKEN_TTL_SECONDS": "7200",
        }
        if args.tracemalloc:
            env["PYTHONPATH"] = str(ROOT / "bench" / "memprobe")
            env["WASHLINE_BENCH_TRACEMALLOC"] = str(out / "heap")
        try:
            with (out / "server.log").open("wb") as log:
                server = subprocess.Popen(
                    [sys.executable, "-m", "app.cli", "run", "--no-simulate", "--port", str(port)],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            _wait_ready(base_url, server)
            with (out / "simulator.log").open("wb") as log:
                simulator = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "app.cli",
                        "simulate",
                        "--base-url",
                        base_url,
                        "--washers",
                        str(args.washers),
                        "--customers",
                        str(args.customers),
                        "--speed-mps",
                        args.speed_mps,
                        "--wash-seconds",
                        args.wash_seconds,
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            samples = asyncio.run(soak(args, base_url, port, server.pid, redis_server.url))
        finally:
            _stop(simulator)
            _stop(server)
    lines = table(samples)
    snapshots = sorted(out.glob("heap.*.snap"), key=lambda p: int(p.name.split(".")[1]))
    if len(snapshots) >= 3:
        # From the second snapshot: the first is taken before the clients have arrived.
        lines += ["heap growth from the second snapshot to the last (tracemalloc):"]
        lines += tracemalloc_growth(snapshots[1], snapshots[-1])
    print("\n".join(lines))
    (out / "soak.json").write_text(json.dumps({"args": vars(args), "samples": samples}, indent=1))
    (out / "table.txt").write_text("\n".join(lines) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
