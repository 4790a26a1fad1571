"""The REST benchmark for real: its data set in a migrated database, and a short run of
`python -m bench.api` (a real server, the load generator in its own process)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from bench.api_seed import SeedShape, seed
from persistence.database import create_engine
from persistence.migrate import upgrade
from persistence.models import ChatMessage, Notification, Order, OrderEvent, User, WasherProfile

ROOT = Path(__file__).resolve().parents[3]
QUICK_RUN = [sys.executable, "-m", "bench.api", "--quick", "--backends", "sqlite"]


async def test_the_seed_writes_the_shape_it_promises(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'seed.db'}"
    await asyncio.to_thread(upgrade, url)
    shape = SeedShape(customers=30, washers=7)
    seeded = await seed(url, shape, "not-a-real-hash")
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            async def count(model: type) -> int:
                return int(await conn.scalar(select(func.count()).select_from(model)) or 0)

            assert await count(User) == 1 + 30 + 7
            assert await count(WasherProfile) == 7
            assert await count(Order) == shape.orders
            assert await count(OrderEvent) == shape.events()
            assert await count(ChatMessage) == shape.chat_messages()
            assert await count(Notification) == shape.notifications()
    finally:
        await engine.dispose()
    assert len(seeded.pending) == shape.pending()
    assert len(seeded.active) == 7
    ids = seeded.as_json()
    assert [len(orders) for orders in ids["orders_by_customer"]] == [5] * 30


def test_a_quick_run_on_the_embedded_default_answers_every_request(tmp_path: Path) -> None:
    completed = subprocess.run(
        [*QUICK_RUN, "--results", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads((tmp_path / "api-latest.json").read_text())
    (run,) = report["runs"]
    assert (run["target"], run["backend"]) == ("washline", "sqlite")
    mix = run["phases"]["mix"]
    assert mix["requests"] > 0
    assert mix["errors"] == 0, mix["routes"]
    assert {"order_detail", "my_orders", "location_batch"} <= set(mix["routes"])
    assert run["phases"]["detail"]["routes"]["order_detail"]["errors"] == 0
    assert mix["queries_per_request"] > 0  # the probe in the server counted statements
