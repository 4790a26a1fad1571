"""Washline vs the fan-out floor, in one run, with real server and client processes.

    .venv/bin/python -m bench.run --workloads W1,W1s,W2,W3        # minutes
    .venv/bin/python -m bench.run --quick                          # smoke: 100 clients, 2 s
    .venv/bin/python -m bench.run --workloads W1 --profile washline

For every workload and each target (Washline first, then the floor) it starts a fresh
server, opens the connections from load-generator processes, measures server RSS before and
after, publishes on an absolute schedule from a publisher process, drains, collects counts,
losses by id and latencies from the clients, reads the server's CPU time, and stops
everything. Prints a table with Washline/floor ratios and writes JSON to bench/results/.
Everything talks to 127.0.0.1 only; every wait is bounded. By default the run starts a
redis-server of its own (see ``PrivateRedis``): pub/sub ignores db numbers, so a shared Redis
mixes other Washline processes' events into the benchmark's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from websockets.asyncio.client import connect

from bench.common import LOCALHOST, free_port, percentile, raise_nofile
from bench.profile import format_summary, summarise

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
ADMIN_EMAIL = "bench-admin@washline.test"
ADMIN_PASSWORD = "bench-admin-password"
USER_BASE = 900_000_000
"""W2/W3 use ``user:{USER_BASE + n}``: real user ids never collide with the benchmark's
events (pub/sub ignores Redis db numbers, so a test server on the same Redis could see them)."""


@dataclass(frozen=True)
class Workload:
    name: str
    clients: int
    nchannels: int
    template: str
    rate: float  # events per second in all; 0 = idle
    duration: float
    about: str


WORKLOADS = {
    "W1": Workload("W1", 2000, 1, "ops", 50, 10, "broadcast: all clients on ops, 50 ev/s"),
    "W1s": Workload("W1s", 2000, 1, "ops", 10, 10, "broadcast below saturation, 10 ev/s"),
    "W2": Workload(
        "W2", 2000, 2000, "user:{n}", 2000, 10, "order tracking: 1 channel each, 2000 ev/s"
    ),
    "W3": Workload("W3", 5000, 5000, "user:{n}", 0, 0, "idle: connected and subscribed"),
}


def quick(workload: Workload) -> Workload:
    """Smoke size: 100 clients (W3: 200), 2 s, the same events per second per client."""
    clients = 200 if workload.rate == 0 else 100
    nchannels = 1 if workload.nchannels == 1 else clients
    rate = workload.rate if nchannels == 1 else workload.rate * nchannels / workload.nchannels
    duration = 2 if workload.duration else 0
    return Workload(
        workload.name,
        clients,
        nchannels,
        workload.template,
        rate,
        duration,
        workload.about + " (quick)",
    )


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- servers


class Server:
    """A server process started with a raised open-file limit; stopped with SIGTERM."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.port = free_port()
        self.argv = [*argv, "--host", LOCALHOST, "--port", str(self.port)]
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        self.log_file = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=raise_nofile,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}; see {self.log_path}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://{LOCALHOST}:{self.port}/health", timeout=1).is_success:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not become healthy; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log_file.close()

    def rss(self) -> int:
        return int(psutil.Process(self.pid).memory_info().rss)

    def cpu(self) -> float:
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)


@dataclass
class Target:
    name: str  # "washline" or "floor"
    redis_url: str
    env: dict[str, str]
    pubsub_prefix: str

    def server(self, log_path: Path, memprobe: str | None = None) -> Server:
        if self.name == "washline":
            argv = [str(VENV_BIN / "washline"), "serve"]
        else:
            argv = [sys.executable, "-m", "bench.floor_server", "--redis", self.redis_url]
        env = dict(self.env)
        if memprobe:
            probe = str(ROOT / "bench" / "memprobe")
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [probe, env.get("PYTHONPATH")]))
            env["WASHLINE_BENCH_TRACEMALLOC"] = memprobe
        return Server(self.name, argv, env, log_path)

    def ws_url(self, server: Server) -> str:
        if self.name == "floor":
            return f"ws://{LOCALHOST}:{server.port}/ws"
        response = httpx.post(
            f"http://{LOCALHOST}:{server.port}/api/auth/login",
            json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            timeout=10,
        )
        response.raise_for_status()
        return f"ws://{LOCALHOST}:{server.port}/ws?token={response.json()['access_token']}"


def washline_env(args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DATABASE_URL=f"postgresql+asyncpg://postgres@{LOCALHOST}:5432/{args.database}",
        REDIS_URL=args.redis_url,
        PASSWORD_HASH_FAST="true",
        AUTH_RATE_LIMIT_PER_MINUTE="100000",
        AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE="100000",
        WS_OPS_PER_SECOND="1000",
        LIVE_MAX_CONNECTIONS_PER_USER="0",
        LIVE_MAX_CONNECTIONS_PER_ADDRESS="0",
        ACCESS_TOKEN_TTL_SECONDS="7200",
        JWT_SECRET="bench-" + uuid.uuid4().hex,
    )
    return env


class PrivateRedis:
    """A redis-server of the benchmark's own on 127.0.0.1 (no persistence).

    Pub/sub ignores Redis db numbers, and the app's channel prefix is fixed, so on a shared
    Redis any other Washline process (a test suite, a dev server) publishing to ``ops`` would
    be fanned out to the benchmark's clients, and the benchmark's events to theirs."""

    def __init__(self, run_dir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://{LOCALHOST}:{self.port}/0"
        self.run_dir = run_dir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server not found: install it or pass --redis-url")
        argv = [
            binary,
            "--bind",
            LOCALHOST,
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.run_dir),
            "--logfile",
            str(self.run_dir / "redis.log"),
            "--maxclients",
            "10000",
        ]
        self.proc = subprocess.Popen(argv, preexec_fn=raise_nofile)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection((LOCALHOST, self.port), timeout=1) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


async def _create_database(name: str) -> None:
    """A fresh database each run: the schema is whatever the working tree migrates to."""
    import asyncpg

    conn = await asyncpg.connect(host=LOCALHOST, port=5432, user="postgres", database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _flush_redis(url: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


async def prepare_washline(args: argparse.Namespace, env: dict[str, str]) -> None:
    """Database (created, migrated), admin user, a flushed Redis db."""
    await _create_database(args.database)
    await _flush_redis(args.redis_url)
    await asyncio.to_thread(_migrate_and_create_admin, env)


def _migrate_and_create_admin(env: dict[str, str]) -> None:
    washline = str(VENV_BIN / "washline")
    subprocess.run(
        [washline, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120
    )
    created = subprocess.run(
        [
            washline,
            "users",
            "create",
            "--role",
            "admin",
            "--email",
            ADMIN_EMAIL,
            "--password",
            ADMIN_PASSWORD,
            "--name",
            "Bench Admin",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if created.returncode != 0 and "exist" not in (created.stdout + created.stderr).lower():
        raise RuntimeError(f"creating the admin failed: {created.stderr[-500:]}")


# ---------------------------------------------------------------- child processes


class Child:
    """A bench child process speaking JSON lines on stdin/stdout."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, argv: list[str], log_path: Path) -> Child:
        log_file = log_path.open("ab")
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log_file,
            limit=1 << 24,
        )
        log_file.close()
        return cls(proc)

    async def read(self, within: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        async with asyncio.timeout(within):
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"child {self.proc.pid} exited ({await self.proc.wait()})")
                with contextlib.suppress(ValueError):
                    message: dict[str, Any] = json.loads(line)
                    return message

    async def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        await self.proc.stdin.drain()

    async def stop(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(20):
                await self.proc.wait()
                return
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        await self.proc.wait()


def _bench_python(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


async def warm_up(url: str, workload: Workload) -> None:
    """A few connections through every code path first, so lazy imports and first-use
    caches are not counted as per-connection memory."""
    from bench.common import channel_name

    async def one(i: int) -> None:
        channel = channel_name(workload.template, i, USER_BASE + 10_000_000)
        async with connect(url, compression=None, ping_interval=None, open_timeout=30) as ws:
            await ws.send(json.dumps({"op": "subscribe", "channel": channel, "ref": 1}))
            async with asyncio.timeout(10):
                while b'"reply"' not in await ws.recv(decode=False):
                    pass

    await asyncio.gather(*(one(i) for i in range(20)))
    await asyncio.sleep(1.0)


async def wait_subscribed(target: Target, workload: Workload, within: float = 30) -> int:
    """Until Redis itself reports a subscriber on every benchmark channel."""
    import redis.asyncio as aioredis

    from bench.common import channel_name

    names = [
        target.pubsub_prefix + channel_name(workload.template, i, USER_BASE)
        for i in range(workload.nchannels)
    ]
    client = aioredis.Redis.from_url(target.redis_url)
    missing = len(names)
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            missing = 0
            for start in range(0, len(names), 1000):
                reply = await client.pubsub_numsub(*names[start : start + 1000])
                missing += sum(1 for _, count in reply if count < 1)
            if missing == 0:
                break
            await asyncio.sleep(0.2)
    finally:
        await client.aclose()
    return missing


async def run_one(
    target: Target, workload: Workload, args: argparse.Namespace, run_dir: Path
) -> dict[str, Any]:
    tag = f"{workload.name}-{target.name}"
    probe = str(run_dir / tag) if args.memprobe else None
    server = target.server(run_dir / f"{tag}.server.log", probe)
    log(f"{tag}: starting server")
    server.start()
    load_at_start = os.getloadavg()[0]
    children: list[Child] = []
    nonce = uuid.uuid4().hex[:12]
    result: dict[str, Any] = {
        "workload": workload.name,
        "target": target.name,
        "clients": workload.clients,
        "nchannels": workload.nchannels,
        "rate": workload.rate,
        "duration": workload.duration,
    }
    try:
        url = target.ws_url(server)
        await warm_up(url, workload)
        if probe:
            await take_snapshot(server, f"{probe}.1.snap")
        rss_before = server.rss()
        procs = max(1, min(args.procs, workload.clients // 50))
        share, extra = divmod(workload.clients, procs)
        first = 0
        started = time.monotonic()
        for p in range(procs):
            count = share + (1 if p < extra else 0)
            children.append(
                await Child.start(
                    _bench_python(
                        "bench.loadgen",
                        "--url",
                        url,
                        "--first",
                        str(first),
                        "--count",
                        str(count),
                        "--nchannels",
                        str(workload.nchannels),
                        "--template",
                        workload.template,
                        "--base",
                        str(USER_BASE),
                        "--nonce",
                        nonce,
                        "--latency-file",
                        str(run_dir / f"{tag}.lat{p}.bin"),
                        *(["--compression"] if args.compression else []),
                    ),
                    run_dir / f"{tag}.loadgen{p}.log",
                )
            )
            first += count
        readies = await asyncio.gather(*(c.read(within=300) for c in children))
        connected = sum(r["connected"] for r in readies)
        result["open_seconds"] = round(time.monotonic() - started, 2)
        result["connect_failed"] = sum(r["failed"] for r in readies)
        result["subscribe_errors"] = sum(r["subscribe_errors"] for r in readies)
        result["connected"] = connected
        result["unsubscribed_channels"] = await wait_subscribed(target, workload)
        await asyncio.sleep(2.0)
        rss_after = server.rss()
        result["rss_before_mib"] = round(rss_before / 2**20, 1)
        result["rss_after_mib"] = round(rss_after / 2**20, 1)
        result["mem_per_conn_kib"] = round((rss_after - rss_before) / max(1, connected) / 1024, 2)
        if probe:
            await take_snapshot(server, f"{probe}.2.snap")
            result["memprobe"] = await asyncio.to_thread(
                compare_snapshots, f"{probe}.1.snap", f"{probe}.2.snap", connected
            )
        log(
            f"{tag}: {connected}/{workload.clients} connected in {result['open_seconds']} s, "
            f"{result['mem_per_conn_kib']} KiB/conn"
        )
        result["loadavg_1m_start"] = round(load_at_start, 2)
        if workload.rate > 0:
            await publish_and_collect(
                target, workload, args, run_dir, server, children, nonce, result, tag
            )
        for child in children:
            await child.send({"cmd": "close"})
        await asyncio.gather(*(c.read(within=60) for c in children), return_exceptions=True)
    finally:
        for child in children:
            await child.stop()
        server.stop()
    return result


async def take_snapshot(server: Server, path: str) -> None:
    """Ask the probed server for a tracemalloc snapshot and wait until it is written."""
    assert server.proc is not None
    server.proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 120
    size = -1
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        current = await asyncio.to_thread(_size, path)
        if current >= 0 and current == size:
            return
        size = current
    raise RuntimeError(f"no snapshot at {path}")


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return -1


def compare_snapshots(before: str, after: str, connections: int) -> dict[str, Any]:
    """Python-heap growth per connection between two snapshots, by line and by file."""
    import tracemalloc

    old, new = tracemalloc.Snapshot.load(before), tracemalloc.Snapshot.load(after)
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    old, new = old.filter_traces(ignore), new.filter_traces(ignore)
    per = max(1, connections)

    def top(key: str, limit: int) -> list[list[Any]]:
        stats = new.compare_to(old, key)
        stats.sort(key=lambda stat: stat.size_diff, reverse=True)
        rows = []
        for stat in stats[:limit]:
            frame = stat.traceback[0]
            parts = frame.filename.split("/")
            where = "/".join(parts[-3:]) + ("" if key == "filename" else f":{frame.lineno}")
            rows.append([where, round(stat.size_diff / per, 1), round(stat.count_diff / per, 2)])
        return rows

    total = sum(stat.size_diff for stat in new.compare_to(old, "filename"))
    return {
        "python_heap_bytes_per_conn": round(total / per, 1),
        "by_file": top("filename", 15),
        "by_line": top("lineno", 25),
    }


def start_profiler(pid: int, output: Path, seconds: float) -> subprocess.Popen[bytes]:
    """py-spy sampling the server at 100 Hz without pausing it; SIGINT writes the file."""
    argv = [
        str(VENV_BIN / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--rate",
        "100",
        "--nonblocking",
        "--format",
        "raw",
        "--output",
        str(output),
        "--duration",
        str(int(seconds)),
    ]
    with output.with_suffix(".log").open("wb") as errors:
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errors)


def load_latencies(reports: list[dict[str, Any]]) -> list[float]:
    """Every client's latencies (seconds), merged and sorted; the files are removed."""
    latencies = array("d")
    for report in reports:
        path = Path(report["latency_file"])
        latencies.frombytes(path.read_bytes())
        path.unlink()
    return sorted(latencies)


async def publish_and_collect(
    target: Target,
    workload: Workload,
    args: argparse.Namespace,
    run_dir: Path,
    server: Server,
    children: list[Child],
    nonce: str,
    result: dict[str, Any],
    tag: str,
) -> None:
    profiler = None
    profile_path = run_dir / f"{tag}.pyspy.txt"
    if target.name in args.profile:
        profiler = start_profiler(server.pid, profile_path, workload.duration + 120)
        await asyncio.sleep(1.0)
    psutil.cpu_percent(interval=None)
    cpu_before = server.cpu()
    publisher = await Child.start(
        _bench_python(
            "bench.publisher",
            "--target",
            target.name,
            "--redis",
            target.redis_url,
            "--rate",
            str(workload.rate),
            "--duration",
            str(workload.duration),
            "--nchannels",
            str(workload.nchannels),
            "--template",
            workload.template,
            "--base",
            str(USER_BASE),
            "--nonce",
            nonce,
        ),
        run_dir / f"{tag}.publisher.log",
    )
    published = await publisher.read(within=workload.duration + 120)
    await publisher.stop()
    log(
        f"{tag}: published {published['published']} at {published['achieved_rate']}/s "
        f"(schedule lag p99 {published['lag_p99_ms']} ms); draining"
    )
    for child in children:
        await child.send(
            {
                "cmd": "finish",
                "published": published["published"],
                "idle_timeout": args.idle_timeout,
                "max_wait": args.max_drain,
            }
        )
    reports = [
        m["report"]
        for m in await asyncio.gather(*(c.read(within=args.max_drain + 60) for c in children))
    ]
    cpu_after = server.cpu()
    machine_busy = psutil.cpu_percent(interval=None)
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)
        try:
            profiler.wait(timeout=60)
        except subprocess.TimeoutExpired:
            profiler.kill()
        if profile_path.exists():
            result["profile"] = summarise(str(profile_path), top=20)
            result["profile_file"] = str(profile_path.relative_to(ROOT))
    ordered = load_latencies(reports)
    received = sum(r["received"] for r in reports)
    last_recv = max((r["last_recv"] for r in reports if r["last_recv"]), default=None)
    window = (last_recv - published["first_send"]) if last_recv else None
    cpu_used = cpu_after - cpu_before
    result.update(
        published=published["published"],
        publish_errors=published["errors"],
        publisher=published,
        expected=sum(r["expected"] for r in reports),
        received=received,
        lost=sum(r["missing"] for r in reports),
        clients_with_loss=sum(r["clients_with_loss"] for r in reports),
        missing_examples=[e for r in reports for e in r["missing_examples"]][:5],
        duplicates=sum(r["duplicates"] for r in reports),
        foreign_frames=sum(r["foreign"] for r in reports),
        misrouted=sum(r["misrouted"] for r in reports),
        closed_by_server={k: v for r in reports for k, v in r["closed_by_server"].items()},
        offered_per_s=round(workload.rate * workload.clients / workload.nchannels, 1),
        delivered_per_s=round(received / window, 1) if window else 0.0,
        delivery_window_s=round(window, 3) if window else None,
        latency_ms={
            "p50": _ms(percentile(ordered, 0.50)),
            "p99": _ms(percentile(ordered, 0.99)),
            "max": _ms(ordered[-1] if ordered else None),
        },
        server_cpu_s=round(cpu_used, 3),
        server_cpu_us_per_delivery=round(cpu_used / received * 1e6, 2) if received else None,
        server_cpu_pct=round(100 * cpu_used / window, 1) if window else None,
        loadgen_cpu_s=round(sum(r["cpu_seconds"] for r in reports), 2),
        publisher_cpu_s=published.get("cpu_seconds"),
        client_loop_stalls=sum(r["loop_stalls"] for r in reports),
        client_loop_stall_max_ms=max(r["loop_stall_max_ms"] for r in reports),
        machine_cpu_busy_pct=machine_busy,
        loadavg_1m_end=round(os.getloadavg()[0], 2),
    )
    log(
        f"{tag}: {received}/{result['expected']} delivered, {result['delivered_per_s']}/s, "
        f"p99 {result['latency_ms']['p99']} ms, lost {result['lost']}; "
        f"publisher CPU {result['publisher_cpu_s']} s; the clients' own loops stalled "
        f"{result['client_loop_stalls']} times over 4 ms (longest "
        f"{result['client_loop_stall_max_ms']} ms)"
    )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


# ---------------------------------------------------------------- report


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _ratio(a: Any, b: Any) -> float | None:
    if a is None or b is None or not b:
        return None
    return round(a / b, 2)


TARGETS = {
    "delivered": 0.9,  # Washline/floor >= 0.9 with zero losses
    "p99": 1.2,  # Washline/floor <= 1.2 on W1s and W2
    "memory": 1.2,  # Washline/floor <= 1.2 on W3
}


def compare(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_key = {(r["workload"], r["target"]): r for r in results}
    rows = []
    for name in dict.fromkeys(r["workload"] for r in results):
        wash, floor = by_key.get((name, "washline")), by_key.get((name, "floor"))
        if wash is None or floor is None:
            continue
        row: dict[str, Any] = {"workload": name}
        checks: dict[str, bool] = {}
        if wash.get("published"):
            row["delivered_ratio"] = _ratio(wash["delivered_per_s"], floor["delivered_per_s"])
            row["p99_ratio"] = _ratio(wash["latency_ms"]["p99"], floor["latency_ms"]["p99"])
            row["cpu_per_delivery_ratio"] = _ratio(
                wash["server_cpu_us_per_delivery"], floor["server_cpu_us_per_delivery"]
            )
            checks["delivered>=0.9x, 0 lost"] = (
                (row["delivered_ratio"] or 0) >= TARGETS["delivered"]
                and wash["lost"] == 0
                and wash["connect_failed"] == 0
            )
            if name.startswith(("W1s", "W2")):
                checks["p99<=1.2x"] = (row["p99_ratio"] or 99) <= TARGETS["p99"]
        row["mem_ratio"] = _ratio(wash["mem_per_conn_kib"], floor["mem_per_conn_kib"])
        if wash.get("rate") == 0:
            checks["mem<=1.2x"] = (row["mem_ratio"] or 99) <= TARGETS["memory"]
        row["checks"] = checks
        rows.append(row)
    return rows


def print_table(results: list[dict[str, Any]], ratios: list[dict[str, Any]]) -> None:
    header = (
        f"{'workload':8} {'target':9} {'conns':>6} {'published':>9} {'expected':>9} "
        f"{'received':>9} {'lost':>6} {'deliv/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'KiB/conn':>8} {'us CPU/dlv':>10} {'srv CPU%':>8}"
    )
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        lat = r.get("latency_ms", {})
        print(
            f"{r['workload']:8} {r['target']:9} {_fmt(r['connected']):>6} "
            f"{_fmt(r.get('published')):>9} {_fmt(r.get('expected')):>9} "
            f"{_fmt(r.get('received')):>9} {_fmt(r.get('lost')):>6} "
            f"{_fmt(r.get('delivered_per_s'), 0):>9} {_fmt(lat.get('p50'), 2):>8} "
            f"{_fmt(lat.get('p99'), 2):>8} {_fmt(lat.get('max'), 1):>8} "
            f"{_fmt(r['mem_per_conn_kib'], 1):>8} "
            f"{_fmt(r.get('server_cpu_us_per_delivery'), 1):>10} "
            f"{_fmt(r.get('server_cpu_pct'), 0):>8}"
        )
    print()
    print("Washline / floor:")
    for row in ratios:
        parts = [f"  {row['workload']:5}"]
        for key, label in (
            ("delivered_ratio", "delivered/s"),
            ("p99_ratio", "p99"),
            ("mem_ratio", "mem/conn"),
            ("cpu_per_delivery_ratio", "CPU/delivery"),
        ):
            if key in row:
                parts.append(f"{label} {_fmt(row[key], 2)}x")
        verdicts = [f"{name}: {'MET' if ok else 'MISSED'}" for name, ok in row["checks"].items()]
        print("  ".join(parts) + ("   [" + "; ".join(verdicts) + "]" if verdicts else ""))
    for r in results:
        if "memprobe" in r:
            probe = r["memprobe"]
            print(
                f"\nPython heap growth per connection, {r['target']} {r['workload']}: "
                f"{probe['python_heap_bytes_per_conn']} B"
            )
            for where, size, count in probe["by_line"][:15]:
                print(f"    {size:8.1f} B  {count:6.2f} blocks  {where}")
    for r in results:
        if "profile" in r:
            print(
                f"\npy-spy profile of {r['target']} during {r['workload']} ({r['profile_file']}):"
            )
            print(format_summary(r["profile"]))


# ---------------------------------------------------------------- main


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    names = [n.strip() for n in args.workloads.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        raise SystemExit(f"unknown workloads: {', '.join(unknown)}")
    workloads = [quick(WORKLOADS[n]) if args.quick else WORKLOADS[n] for n in names]
    run_dir = RESULTS / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir.mkdir(parents=True, exist_ok=True)
    private = None
    if not args.redis_url:
        private = PrivateRedis(run_dir)
        private.start()
        args.redis_url = private.url
    args.private_redis = private is not None
    try:
        return await run_all(args, workloads, run_dir)
    finally:
        if private is not None:
            private.stop()


async def run_all(
    args: argparse.Namespace, workloads: list[Workload], run_dir: Path
) -> list[dict[str, Any]]:
    env = washline_env(args)
    log(f"preparing washline (database {args.database}, redis {args.redis_url})")
    await prepare_washline(args, env)
    targets = [
        Target("washline", args.redis_url, env, "washline:c:"),
        Target("floor", args.redis_url, dict(os.environ), "floorbench:c:"),
    ]
    targets = [t for t in targets if t.name in args.targets]
    results: list[dict[str, Any]] = []
    started = datetime.now(UTC)
    for workload in workloads:
        for target in targets:
            try:
                results.append(await run_one(target, workload, args, run_dir))
            except Exception as exc:  # one broken run must not lose the others' figures
                log(f"{workload.name}-{target.name} FAILED: {exc!r}")
                results.append(
                    {
                        "workload": workload.name,
                        "target": target.name,
                        "error": repr(exc),
                        "connected": 0,
                        "mem_per_conn_kib": None,
                    }
                )
    ratios = compare([r for r in results if "error" not in r])
    print_table(results, ratios)
    summary = {
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "command": " ".join([Path(sys.executable).name, "-m", "bench.run", *sys.argv[1:]]),
        "machine": machine_facts("server, load generators, publisher and Redis share these cores"),
        "git": _git_state(),
        "options": {k: v for k, v in vars(args).items()},
        "results": results,
        "ratios": ratios,
    }
    out = run_dir / "results.json"
    out.write_text(json.dumps(summary, indent=2))
    shutil.copyfile(out, RESULTS / "latest.json")
    print(f"\nresults: {out.relative_to(ROOT)}")
    return results


def _git_state() -> dict[str, Any]:
    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.rstrip()  # not strip(): porcelain lines start with a space

    changed = [line[3:] for line in git("status", "--porcelain").splitlines()]
    return {
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_files_in_app_realtime": sorted(
            p for p in changed if p.startswith(("app/", "realtime/"))
        ),
    }


def machine_facts(note: str) -> dict[str, Any]:
    """What a result needs to say about the machine it was measured on."""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "note": note,
    }


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="W1,W1s,W2,W3")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 clients, 2 s")
    parser.add_argument("--targets", default="washline,floor")
    parser.add_argument("--procs", type=int, default=2, help="load-generator processes")
    parser.add_argument(
        "--profile",
        default="",
        help="targets to profile with py-spy, e.g. "
        "washline or washline,floor (adds sampling overhead)",
    )
    parser.add_argument(
        "--compression",
        action="store_true",
        help="clients offer permessage-deflate like browsers do",
    )
    parser.add_argument(
        "--memprobe",
        action="store_true",
        help="diagnosis: tracemalloc in the servers, heap growth per connection by line "
        "(inflates every figure; not for measurement)",
    )
    parser.add_argument("--database", default="washline_bench")
    parser.add_argument(
        "--redis-url",
        default="",
        help="use this Redis (its db is flushed) instead of a private redis-server; only "
        "safe if nothing else uses Washline's pub/sub channels on that server",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=5.0,
        help="stop draining after this long without a new event",
    )
    parser.add_argument(
        "--max-drain", type=float, default=180.0, help="stop draining after this long in any case"
    )
    args = parser.parse_args()
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    args.profile = [t.strip() for t in args.profile.split(",") if t.strip()]
    raise_nofile()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
