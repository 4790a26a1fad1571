"""Location ingest benchmark: N washers send fixes over WebSockets while N customers watch
their orders' tracks, against a real `washline serve` on PostgreSQL and a private Redis.

    .venv/bin/python -m bench.location --washers 500 --seconds 10 --rate 2 --generators 2

Every connection is open before the measured window (`bench/location_generator.py`, one
or more load-generator processes), so the window holds only fixes and their deliveries.
Reports fixes accepted/s, fix-to-customer latency p50/p99, database transactions and track
rows per fix, and server CPU per 1,000 fixes. Bounded in time; traffic only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from app.principal import Principal
from app.schemas.catalog import PackageIn, VehicleIn
from app.schemas.orders import OrderIn
from app.security import mint_access_token
from app.services import accounts, catalog, order_transitions, orders
from app.settings import Settings
from bench import location_generator as generator
from bench.common import latency_by_second, percentile, raise_nofile
from bench.location_generator import DESTINATION, Pair
from bench.profile import format_summary, summarise
from bench.run import ROOT, PrivateRedis, Server, start_profiler
from domain.orders import OrderStatus
from domain.pricing import VehicleSize
from domain.roles import Actor, Role
from persistence.database import create_engine, create_session_factory
from persistence.migrate import upgrade


async def _create_database(name: str) -> str:
    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def _setup(settings: Settings, washers: int) -> list[tuple[int, int, int]]:
    """(washer id, customer id, order id) triples: each order assigned and en route."""
    engine = create_engine(settings.database_url)
    factory = create_session_factory(engine)
    triples = []
    async with factory() as session:
        admin = await accounts.create_user(
            session,
            settings,
            email="admin@bench.test",
            password="bench-password",
            full_name="Admin",
            role=Role.ADMIN,
        )
        package = await catalog.create_package(
            session, PackageIn(name="Bench", base_price_cents=1000, duration_minutes=30)
        )
        for n in range(washers):
            washer = await accounts.create_user(
                session,
                settings,
                email=f"w{n}@bench.test",
                password="bench-password",
                full_name=f"W{n}",
                role=Role.WASHER,
            )
            customer = await accounts.create_user(
                session,
                settings,
                email=f"c{n}@bench.test",
                password="bench-password",
                full_name=f"C{n}",
                role=Role.CUSTOMER,
            )
            vehicle = await catalog.create_vehicle(
                session,
                customer.id,
                VehicleIn(make="VW", model="Golf", plate=f"B{n}", size=VehicleSize.MEDIUM),
            )
            principal = Principal(customer.id, Role.CUSTOMER, customer.email, time.time() + 60)
            order = await orders.create_order(
                session,
                principal,
                OrderIn(
                    vehicle_id=vehicle.id,
                    package_id=package.id,
                    address="Bench St",
                    lat=DESTINATION[0],
                    lng=DESTINATION[1],
                ),
            )
            await order_transitions.transition_order(
                session,
                Actor(user_id=admin.id, role=Role.ADMIN),
                order.id,
                OrderStatus.ASSIGNED,
                washer_id=washer.id,
            )
            await order_transitions.transition_order(
                session,
                Actor(user_id=washer.id, role=Role.WASHER),
                order.id,
                OrderStatus.EN_ROUTE,
            )
            triples.append((washer.id, customer.id, order.id))
    await engine.dispose()
    return triples


def _token(settings: Settings, user_id: int, role: Role) -> str:
    return mint_access_token(user_id, role.value, "", settings, datetime.now(UTC))[0]


async def _db_counters(url: str) -> tuple[int, int]:
    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(plain)
    try:
        commits = await conn.fetchval(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )
        rows = await conn.fetchval("SELECT count(*) FROM track_point")
    finally:
        await conn.close()
    return int(commits), int(rows)


async def _wait_outbox_relayed(url: str, limit: float = 300.0) -> int:
    """Wait until the server's relay has published the setup's outbox rows (orders created,
    assigned, driven, and their audit entries: ~11 per washer). Relaying them is start-up
    work, not the cost of a fix; inside the window it was a large share of the CPU counted
    per fix. Returns the rows still unpublished when the wait ended (0 normally)."""
    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(plain)
    try:
        deadline = time.monotonic() + limit
        while True:
            left = int(
                await conn.fetchval("SELECT count(*) FROM outbox_event WHERE published_at IS NULL")
            )
            if left == 0 or time.monotonic() > deadline:
                return left
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def _run(
    args: argparse.Namespace,
    server: Server,
    settings: Settings,
    triples: list[tuple[int, int, int]],
    database_url: str,
    profile_path: Path | None = None,
) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{server.port}/ws"
    pairs = [
        Pair(i, _token(settings, w, Role.WASHER), _token(settings, c, Role.CUSTOMER), o)
        for i, (w, c, o) in enumerate(triples)
    ]
    context = multiprocessing.get_context("spawn")
    links, children = [], []
    for n in range(args.generators):
        parent_end, child_end = context.Pipe()
        share = pairs[n :: args.generators]
        child = context.Process(target=generator.run, args=(child_end, url, share, args.rate))
        child.start()
        links.append(parent_end)
        children.append(child)
    for link in links:  # every connection open and subscribed
        if not await asyncio.to_thread(link.poll, 600):
            raise RuntimeError("a load generator did not get its connections open")
        link.recv()
    unrelayed = await _wait_outbox_relayed(database_url)
    await asyncio.sleep(1)
    commits_before, rows_before = await _db_counters(database_url)
    profiler: subprocess.Popen[bytes] | None = None
    if profile_path is not None:
        profiler = start_profiler(server.pid, profile_path, args.seconds + 120)
        await asyncio.sleep(1.0)
    cpu_before = server.cpu()
    start = time.time() + 1
    for link in links:
        link.send((start, start + args.seconds))
    outcomes = []
    for link in links:
        if not await asyncio.to_thread(link.poll, args.seconds + generator.ANSWER_TIMEOUT + 120):
            raise RuntimeError("a load generator did not finish")
        outcomes.append(link.recv())
    await asyncio.sleep(1)  # the last track batch (the generators waited 2 s already)
    cpu = server.cpu() - cpu_before
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)
        await asyncio.to_thread(profiler.wait, 60)
    commits_after, rows_after = await _db_counters(database_url)
    for link in links:  # now the generators may close their connections
        link.send("close")
    for child in children:
        await asyncio.to_thread(child.join, 60)
    sent_at = [x for outcome in outcomes for x in outcome["sent_at"]]
    unsorted = [x for outcome in outcomes for x in outcome["latencies"]]
    latencies = sorted(unsorted)
    later = sorted(x for s, x in zip(sent_at, unsorted, strict=True) if s >= start + 1)
    replies = {
        key: sum(outcome["replies"].get(key, 0) for outcome in outcomes)
        for key in ("accepted", "coalesced", "rejected")
    }
    fixes = replies["accepted"] + replies["coalesced"]
    answered_in = max(outcome["last_answer"] for outcome in outcomes) - start
    return {
        "washers": len(triples),
        "setup_outbox_rows_unrelayed_at_start": unrelayed,
        "load_generator_processes": args.generators,
        "rate_hz": args.rate,
        "seconds": args.seconds,
        "fixes_sent_acknowledged": fixes,
        "accepted": replies["accepted"],
        "coalesced": replies["coalesced"],
        "rejected": replies["rejected"],
        "unanswered": sum(outcome["unanswered"] for outcome in outcomes),
        "last_answer_after_s": round(answered_in, 2),
        "accepted_per_s": round(fixes / max(answered_in, args.seconds), 1),
        "track_events_received": len(latencies),
        "latency_p50_ms": round(percentile(latencies, 0.5) or 0, 2),
        "latency_p99_ms": round(percentile(latencies, 0.99) or 0, 2),
        "latency_p99_after_first_second_ms": round(percentile(later, 0.99) or 0, 2),
        "latency_by_second": latency_by_second(sent_at, unsorted, start),
        "db_transactions_per_fix": round((commits_after - commits_before) / max(fixes, 1), 4),
        "track_rows_written": rows_after - rows_before,
        "server_cpu_s_per_1000_fixes": round(cpu / max(fixes, 1) * 1000, 3),
    }


async def main_async(args: argparse.Namespace) -> None:
    run_dir = ROOT / "bench" / "results" / f"location-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    run_dir.mkdir(parents=True, exist_ok=True)
    redis = PrivateRedis(run_dir)
    redis.start()
    database_url = await _create_database(args.database)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis.url,
        PASSWORD_HASH_FAST="true",
        WS_OPS_PER_SECOND="1000",
        LIVE_MAX_CONNECTIONS_PER_ADDRESS="0",  # every washer connects from this machine
        ACCESS_TOKEN_TTL_SECONDS="7200",
        JWT_SECRET="bench-" + uuid.uuid4().hex,
    )
    settings = Settings.from_env(env)
    await asyncio.to_thread(upgrade, database_url)
    triples = await _setup(settings, args.washers)
    server = Server(
        "washline", [str(ROOT / ".venv" / "bin" / "washline"), "serve"], env, run_dir / "server.log"
    )
    server.start()
    try:
        profile_path = run_dir / "server.pyspy.txt" if args.profile else None
        result = await _run(args, server, settings, triples, database_url, profile_path)
    finally:
        server.stop()
        redis.stop()
    (run_dir / "results.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if profile_path is not None and profile_path.exists():
        print(f"\npy-spy profile of the server ({profile_path}):")
        print(format_summary(summarise(str(profile_path), top=25)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--washers", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=1.0, help="fixes per second per washer")
    parser.add_argument(
        "--generators", type=int, default=1, help="load-generator processes (pairs split)"
    )
    parser.add_argument(
        "--database", default="washline_bench_location", help="PostgreSQL database to recreate"
    )
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the server during the run (adds overhead)"
    )
    raise_nofile()
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
