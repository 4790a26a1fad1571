"""Washline's REST API under an open-loop mix, against a single-file REST floor, in one run.

    .venv/bin/python -m bench.api                      # PostgreSQL + Redis, then SQLite
    .venv/bin/python -m bench.api --quick              # smoke: tiny data set, seconds
    .venv/bin/python -m bench.api --backends postgresql --seconds 30

For each backend: a fresh database, migrated and seeded (`bench.api_seed`), a real
`washline serve` (PostgreSQL runs get a private redis-server; SQLite runs are the embedded
default, in-process broker), and a load generator in its own process (`bench.api_load`)
sending the weighted mix at a fixed arrival rate, then order detail alone. On PostgreSQL the
same phases run against `bench.api_floor` on a freshly seeded database. Server CPU is read
from the server process around the measured window; SQL statements and new pool connections
come from a probe in the Washline server (`bench/queryprobe`), transactions and sessions from
`pg_stat_database`. Prints a table with Washline/floor ratios and writes JSON to
bench/results/. Only 127.0.0.1; every wait is bounded; everything started is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from app.security import hash_password, mint_access_token
from app.settings import Settings
from bench.api_seed import PASSWORD, SeedShape, seed
from bench.common import percentile, raise_nofile
from bench.profile import format_summary
from bench.profile import summarise as summarise_profile
from bench.run import (
    RESULTS,
    ROOT,
    VENV_BIN,
    PrivateRedis,
    Server,
    log,
    machine_facts,
    start_profiler,
)
from domain.roles import Role
from persistence.migrate import upgrade

MIX: dict[str, float] = {
    "order_detail": 22,
    "my_orders": 14,
    "chat_history": 10,
    "notifications": 10,
    "washers_online": 4,
    "create_order": 6,
    "transition": 6,
    "post_chat": 6,
    "location_batch": 12,
    "login": 5,
    "refresh": 5,
}
"""Weights of the mix (per cent of requests)."""
DETAIL_ONLY = {"order_detail": 1.0}
PG_DATABASE = f"washline_bench_api_{os.getpid()}"
"""This run's own database: two runs on one PostgreSQL (several worktrees on one machine)
must not drop each other's data set mid-phase."""


@dataclass(frozen=True)
class Phase:
    name: str
    weights: dict[str, float]
    rate: float
    seconds: float


async def _create_pg_database(name: str) -> str:
    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def _drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def pg_counters(database: str) -> dict[str, int]:
    """Transactions and sessions of `database` so far (read from another database)."""
    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        row = await conn.fetchrow(
            "SELECT xact_commit + xact_rollback AS xacts, sessions FROM pg_stat_database"
            " WHERE datname = $1",
            database,
        )
    finally:
        await conn.close()
    return {"xacts": int(row["xacts"]), "sessions": int(row["sessions"])} if row else {}


def _probe(server: Server, path: Path) -> dict[str, int]:
    """The server's statement and pool-connect counts (bench/queryprobe), via SIGUSR1."""
    path.unlink(missing_ok=True)
    os.kill(server.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if path.exists():
            return dict(json.loads(path.read_text()))
        time.sleep(0.02)
    return {}


def summarise(
    loadgen: dict[str, Any], server_cpu_s: float, counters: dict[str, int]
) -> dict[str, Any]:
    """Per-route percentiles and errors, and per-request server costs, of one phase."""
    routes: dict[str, Any] = {}
    answered = 0
    errors = 0
    for name, stats in loadgen["routes"].items():
        values = sorted(stats["latencies_ms"])
        http_errors = sum(n for code, n in stats["statuses"].items() if int(code) >= 400)
        count = len(values) + stats["errors"] - http_errors
        answered += len(values)
        errors += stats["errors"]
        if not values and not stats["errors"]:
            continue
        routes[name] = {
            "requests": count,
            "p50_ms": _round(percentile(values, 0.50)),
            "p95_ms": _round(percentile(values, 0.95)),
            "p99_ms": _round(percentile(values, 0.99)),
            "errors": stats["errors"],
            "skipped": stats["skipped"],
            "error_samples": stats["error_samples"],
        }
    per = max(answered, 1)
    return {
        "requests": answered,
        "errors": errors,
        "achieved_rps": round(answered / float(loadgen["seconds"]), 1),
        "server_cpu_us_per_request": round(server_cpu_s / per * 1e6, 1),
        "queries_per_request": _ratio(counters.get("queries"), per),
        "transactions_per_request": _ratio(counters.get("xacts"), per),
        "new_pool_connections": counters.get("connects"),
        "new_pg_sessions": counters.get("sessions"),
        "loadgen": {
            k: loadgen[k]
            for k in ("max_schedule_lag_ms", "loadgen_cpu_s", "connections_open", "sent")
        },
        "routes": routes,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _ratio(numerator: int | None, denominator: int) -> float | None:
    return None if numerator is None else round(numerator / denominator, 3)


async def _read_event(proc: asyncio.subprocess.Process, within: float) -> dict[str, Any]:
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), within)
    if not line:
        raise RuntimeError("load generator exited early; see its log")
    return dict(json.loads(line))


async def run_phase(
    target: str,
    server: Server,
    plan: dict[str, Any],
    phase: Phase,
    run_dir: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    plan = {
        **plan,
        "weights": phase.weights,
        "rate": phase.rate,
        "seconds": phase.seconds,
        "warmup": args.warmup,
        "result_path": str(run_dir / f"loadgen-{target}-{phase.name}.json"),
    }
    plan_path = run_dir / f"plan-{target}-{phase.name}.json"
    plan_path.write_text(json.dumps(plan))
    probe_path = run_dir / f"probe-{target}.json"
    database = plan.get("pg_database")
    with (run_dir / f"loadgen-{target}-{phase.name}.log").open("ab") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.api_load",
            str(plan_path),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            limit=1 << 26,
        )
        try:
            budget = args.warmup + phase.seconds + 60
            await _read_event(proc, budget)  # measure_start
            profiler = None
            backend = "postgresql" if database else "sqlite"  # both runs share the directory
            profile_path = run_dir / f"{target}-{backend}-{phase.name}.pyspy.txt"
            if target in args.profile:
                profiler = start_profiler(server.pid, profile_path, phase.seconds)
            cpu0 = server.cpu()
            probe0 = _probe(server, probe_path) if target == "washline" else {}
            pg0 = await pg_counters(database) if database else {}
            await _read_event(proc, budget)  # measure_end
            cpu = server.cpu() - cpu0
            probe1 = _probe(server, probe_path) if target == "washline" else {}
            pg1 = await pg_counters(database) if database else {}
            result = await _read_event(proc, 60)
            if "path" in result:
                text = await asyncio.to_thread(Path(result["path"]).read_text)
                result = dict(json.loads(text))
            await asyncio.wait_for(proc.wait(), 30)
            if profiler is not None:
                await asyncio.to_thread(profiler.wait, 60)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    counters = {k: probe1[k] - probe0[k] for k in probe0 if k in probe1}
    if pg0 and pg1:
        counters["xacts"] = pg1["xacts"] - pg0["xacts"]
        counters["sessions"] = pg1["sessions"] - pg0["sessions"]
    summary = summarise(result, cpu, counters)
    if target in args.profile and profile_path.exists():
        summary["profile"] = str(profile_path)
        print(format_summary(summarise_profile(str(profile_path))), flush=True)
    log(
        f"  {target} {phase.name}: {summary['requests']} answered, {summary['errors']} errors, "
        f"{summary['server_cpu_us_per_request']} µs CPU/request"
    )
    return summary


async def prepare(
    backend: str, run_dir: Path, shape: SeedShape, settings: Settings
) -> tuple[str, dict[str, Any]]:
    """A fresh migrated, seeded database; returns its URL and the seeded ids."""
    if backend == "postgresql":
        url = await _create_pg_database(PG_DATABASE)
    else:
        path = run_dir / "washline-bench.db"  # a new run directory: no file there yet
        url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    started = time.monotonic()
    seeded = await seed(url, shape, await hash_password(PASSWORD, settings))
    log(
        f"  seeded {shape.orders} orders, {shape.customers} customers, {shape.washers} washers "
        f"in {time.monotonic() - started:.1f} s"
    )
    return url, seeded.as_json()


def _tokens(settings: Settings, seeded: dict[str, Any]) -> dict[str, str]:
    now = datetime.now(UTC)
    tokens = {
        str(c): mint_access_token(c, Role.CUSTOMER.value, f"c{i}@bench.test", settings, now)[0]
        for i, c in enumerate(seeded["customers"])
    }
    tokens.update(
        {
            str(w): mint_access_token(w, Role.WASHER.value, f"w{i}@bench.test", settings, now)[0]
            for i, w in enumerate(seeded["washers"])
        }
    )
    return tokens


def server_env(
    database_url: str, redis_url: str, secret: str, probe: Path | None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        JWT_SECRET=secret,
        PASSWORD_HASH_FAST="true",
        AUTH_RATE_LIMIT_PER_MINUTE="1000000",
        AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE="1000000",
        MAX_OPEN_ORDERS_PER_CUSTOMER="1000",
        ACCESS_TOKEN_TTL_SECONDS="7200",
        LOG_LEVEL="WARNING",
    )
    if probe is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT / "bench" / "queryprobe"), env.get("PYTHONPATH")])
        )
        env["WASHLINE_BENCH_QUERYPROBE"] = str(probe)
    return env


async def run_target(
    target: str, backend: str, args: argparse.Namespace, run_dir: Path, redis_url: str, rate: float
) -> dict[str, Any]:
    secret = "bench-" + uuid.uuid4().hex
    settings = Settings.from_env(
        {"JWT_SECRET": secret, "PASSWORD_HASH_FAST": "true", "ACCESS_TOKEN_TTL_SECONDS": "7200"}
    )
    shape = SeedShape(customers=args.customers, washers=args.washers)
    log(f"{target} on {backend}: preparing")
    url, seeded = await prepare(backend, run_dir, shape, settings)
    env = server_env(
        url, redis_url, secret, run_dir / f"probe-{target}.json" if target == "washline" else None
    )
    if target == "washline":
        argv = [str(VENV_BIN / "washline"), "serve"]
    else:
        argv = [sys.executable, "-m", "bench.api_floor", "--pool-size", str(args.floor_pool)]
    server = Server(target, argv, env, run_dir / f"server-{target}-{backend}.log")
    server.start()
    admin = mint_access_token(
        seeded["admin_id"], Role.ADMIN.value, "admin@bench.test", settings, datetime.now(UTC)
    )[0]
    plan = {
        "host": "127.0.0.1",
        "port": server.port,
        "seeded": seeded,
        "tokens": _tokens(settings, seeded),
        "admin_token": admin,
        "password": PASSWORD,
        "seed": args.seed,
        "pg_database": PG_DATABASE if backend == "postgresql" else None,
    }
    phases = [
        Phase("mix", MIX, rate, args.seconds),
        Phase("detail", DETAIL_ONLY, rate, args.detail_seconds),
    ]
    try:
        results = {p.name: await run_phase(target, server, plan, p, run_dir, args) for p in phases}
    finally:
        server.stop()
    return {"target": target, "backend": backend, "rate": rate, "phases": results}


def ratios(washline: dict[str, Any], floor: dict[str, Any]) -> dict[str, Any]:
    """Washline / floor, per phase: CPU per request and each route's p95."""
    out: dict[str, Any] = {}
    for phase, ours in washline["phases"].items():
        theirs = floor["phases"].get(phase)
        if not theirs:
            continue
        out[phase] = {
            "cpu_per_request": _div(
                ours["server_cpu_us_per_request"], theirs["server_cpu_us_per_request"]
            ),
            "p95": {
                route: _div(stats["p95_ms"], theirs["routes"].get(route, {}).get("p95_ms"))
                for route, stats in ours["routes"].items()
            },
        }
    return out


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(a / b, 2)


def format_table(report: dict[str, Any]) -> str:
    lines = []
    for run in report["runs"]:
        for phase, result in run["phases"].items():
            lines.append(
                f"\n{run['target']} on {run['backend']}, {phase} at {run['rate']:g} req/s: "
                f"{result['requests']} answered ({result['achieved_rps']}/s), "
                f"{result['errors']} errors, "
                f"server CPU {result['server_cpu_us_per_request']} µs/request, "
                f"queries/request {result['queries_per_request']}, "
                f"transactions/request {result['transactions_per_request']}, "
                f"new pool connections {result['new_pool_connections']}, "
                f"new PG sessions {result['new_pg_sessions']}, "
                f"load generator lag max {result['loadgen']['max_schedule_lag_ms']} ms, "
                f"CPU {result['loadgen']['loadgen_cpu_s']} s"
            )
            header = ("route", "requests", "p50 ms", "p95 ms", "p99 ms", "errors")
            lines.append("  " + _row(header))
            for route, stats in result["routes"].items():
                cells = (
                    route,
                    str(stats["requests"]),
                    *(_fmt(stats[k]) for k in ("p50_ms", "p95_ms", "p99_ms")),
                    str(stats["errors"]),
                )
                lines.append("  " + _row(cells))
    for backend, phases in report.get("ratios", {}).items():
        for phase, ratio in phases.items():
            lines.append(
                f"\nWashline/floor on {backend}, {phase}: CPU/request x{ratio['cpu_per_request']}; "
                + ", ".join(f"{r} p95 x{v}" for r, v in ratio["p95"].items())
            )
    return "\n".join(lines)


def _row(cells: tuple[str, ...]) -> str:
    return f"{cells[0]:<16}" + "".join(f"{c:>9}" for c in cells[1:])


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    results = Path(args.results)
    run_dir = results / f"api-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    run_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": machine_facts(args.note),
        "args": vars(args),
        "runs": [],
        "ratios": {},
    }
    redis = PrivateRedis(run_dir) if "postgresql" in args.backends else None
    try:
        if redis is not None:
            redis.start()
        for backend in args.backends:
            rate = args.rate if backend == "postgresql" else args.sqlite_rate
            redis_url = redis.url if backend == "postgresql" and redis else ""
            ours = await run_target("washline", backend, args, run_dir, redis_url, rate)
            report["runs"].append(ours)
            if backend == "postgresql" and not args.no_floor:
                floor = await run_target("floor", backend, args, run_dir, redis_url, rate)
                report["runs"].append(floor)
                report["ratios"][backend] = ratios(ours, floor)
    finally:
        if redis is not None:
            redis.stop()
        if "postgresql" in args.backends:
            await _drop_pg_database(PG_DATABASE)
    (run_dir / "results.json").write_text(json.dumps(report, indent=2, default=str))
    (results / "api-latest.json").write_text(json.dumps(report, indent=2, default=str))
    print(format_table(report), flush=True)
    log(f"results in {run_dir}")
    return report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", type=lambda s: s.split(","), default=["postgresql", "sqlite"])
    parser.add_argument("--rate", type=float, default=500.0, help="requests/s on PostgreSQL")
    parser.add_argument("--sqlite-rate", type=float, default=200.0, help="requests/s on SQLite")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds of the mix")
    parser.add_argument(
        "--detail-seconds", type=float, default=10.0, help="measured seconds of detail-only"
    )
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--washers", type=int, default=300)
    parser.add_argument("--floor-pool", type=int, default=20)
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument(
        "--profile",
        type=lambda s: s.split(","),
        default=[],
        help="washline,floor: py-spy each measured phase (needs bench/requirements.txt)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--note", default="shared 2-core machine")
    parser.add_argument("--results", default=str(RESULTS), help="directory for the run's files")
    parser.add_argument("--quick", action="store_true", help="tiny data set and seconds (smoke)")
    args = parser.parse_args(argv)
    if args.quick:
        args.customers, args.washers = 40, 8
        args.rate, args.sqlite_rate = 40.0, 40.0
        args.seconds, args.detail_seconds, args.warmup = 2.0, 1.0, 0.5
    return args


def main() -> None:
    raise_nofile()
    asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    main()
