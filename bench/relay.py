"""What one pass of the outbox relay costs the process that runs it: CPU and statements.

    .venv/bin/python -m bench.relay                  # 1,500 passes of one row each
    .venv/bin/python -m bench.relay --passes 300 --rows 10

Under the API's request mix the relay runs after nearly every commit, each pass publishing
the one or two rows that commit wrote: its cost per pass is paid once per write request.
A fresh PostgreSQL database is migrated; each round commits `--rows` order events, then
`OutboxRelay.relay_once` publishes them (advisory-lock turn, read, publish, mark), timed
alone. The broker is the in-process one, so the figure is the relay's and the database's
side, not Redis's. The first hundred passes are a warm-up. Only 127.0.0.1; the database is
dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

from app.workers.relay import OutboxRelay
from bench.api import _create_pg_database, _drop_pg_database
from bench.common import StatementCounter
from persistence.database import create_engine, create_session_factory
from persistence.migrate import upgrade
from persistence.order_events import ORDER_TOPIC
from persistence.outbox import insert_outbox_rows, outbox_values
from realtime.memory_broker import MemoryBroker

DATABASE = "washline_bench_relay"
WARM_UP = 100


async def measure(passes: int, rows: int) -> dict[str, Any]:
    url = await _create_pg_database(DATABASE)
    try:
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
        statements = StatementCounter(engine)
        sessions = create_session_factory(engine)
        relay = OutboxRelay(sessions, MemoryBroker(), uses_advisory_lock=True)
        cpu, sent, seq = 0.0, 0, 0
        try:
            for n in range(WARM_UP + passes):
                async with sessions() as session:
                    batch = []
                    for _ in range(rows):
                        seq += 1
                        batch.append(
                            outbox_values(
                                topic=ORDER_TOPIC,
                                aggregate_id=1 + seq % 50,
                                seq=seq,
                                event_type="order.status",
                                payload={"status": "arrived", "n": seq},
                                created_at=datetime.now(UTC),
                            )
                        )
                    await insert_outbox_rows(session, batch)
                    await session.commit()
                statements.reset()
                started = time.process_time()
                published = await relay.relay_once()
                if n >= WARM_UP:
                    cpu += time.process_time() - started
                    sent += statements.count
                assert published == rows, published
        finally:
            await engine.dispose()
        return {
            "passes": passes,
            "rows_per_pass": rows,
            "cpu_us_per_pass": round(cpu / passes * 1e6),
            "statements_per_pass": round(sent / passes, 2),
        }
    finally:
        await _drop_pg_database(DATABASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passes", type=int, default=1500)
    parser.add_argument("--rows", type=int, default=1, help="rows committed before each pass")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.passes, args.rows)), indent=2))


if __name__ == "__main__":
    main()
