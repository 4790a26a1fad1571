"""What one order transition costs the process that makes it: CPU and SQL statements.

    .venv/bin/python -m bench.transitions                  # 2,000 customers, 300 washers
    .venv/bin/python -m bench.transitions --customers 60 --washers 30

A fresh PostgreSQL database is migrated and seeded as `bench.api` seeds it, then
`app.services.order_transitions.transition_order` runs in this process, one session per
move, for these moves: a customer cancelling a pending order nobody was offered (one
person to tell), a washer arriving (two people to tell), and, on the other half of the
pending orders, dispatch offering each to three washers (`app.services.offers.create_offers`)
and then its customer cancelling it (three offers withdrawn, four people to tell). The
first ten of each are a warm-up. No HTTP and no server: the figure is the move's own
cost, which the request mix of `bench.api` dilutes among a dozen routes. Only 127.0.0.1;
the database is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.services.offers import create_offers
from app.services.order_transitions import transition_order
from bench.api import _create_pg_database, _drop_pg_database
from bench.api_seed import SeedShape, seed
from bench.common import StatementCounter
from domain.orders import OrderStatus
from domain.roles import Actor, Role
from persistence.database import create_engine, create_session_factory
from persistence.migrate import upgrade
from persistence.order_moves import order_for_move

DATABASE = "washline_bench_transitions"
WARM_UP = 10

Move = Callable[[AsyncSession, list[int]], Awaitable[Any]]


def _cancel(session: AsyncSession, pending: list[int]) -> Awaitable[Any]:
    customer_id, order_id = pending
    actor = Actor(customer_id, Role.CUSTOMER)
    return transition_order(session, actor, order_id, OrderStatus.CANCELLED, reason="bench")


def _offer_to_three(washers: list[int]) -> Move:
    async def offer(session: AsyncSession, pending: list[int]) -> None:
        _, order_id = pending
        order = await order_for_move(session, order_id)
        assert order is not None
        chosen = washers[order_id % (len(washers) - 2) :][:3]
        await create_offers(session, order, [(w, 500.0) for w in chosen], datetime.now(UTC))
        await session.commit()

    return offer


def _arrive(session: AsyncSession, active: list[int]) -> Awaitable[Any]:
    _, washer_id, order_id = active
    return transition_order(session, Actor(washer_id, Role.WASHER), order_id, OrderStatus.ARRIVED)


async def measure(customers: int, washers: int) -> dict[str, Any]:
    url = await _create_pg_database(DATABASE)
    try:
        await asyncio.to_thread(upgrade, url)
        seeded = await seed(url, SeedShape(customers=customers, washers=washers), "unused")
        engine = create_engine(url)
        statements = StatementCounter(engine)
        sessions = create_session_factory(engine)

        async def run(items: list[list[int]], move: Move) -> dict[str, Any]:
            for item in items[:WARM_UP]:
                async with sessions() as session:
                    await move(session, item)
            measured = items[WARM_UP:]
            statements.reset()
            started = time.process_time()
            for item in measured:
                async with sessions() as session:
                    await move(session, item)
            cpu = time.process_time() - started
            return {
                "moves": len(measured),
                "cpu_us_per_move": round(cpu / max(1, len(measured)) * 1e6),
                "statements_per_move": round(statements.count / max(1, len(measured)), 2),
            }

        try:
            half = len(seeded.pending) // 2
            plain, offered = seeded.pending[:half], seeded.pending[half:]
            return {
                "cancel_pending_by_customer": await run(plain, _cancel),
                "arrive_by_washer": await run(seeded.active, _arrive),
                "offer_to_three_washers": await run(offered, _offer_to_three(seeded.washers)),
                "cancel_offered_by_customer": await run(offered, _cancel),
            }
        finally:
            await engine.dispose()
    finally:
        await _drop_pg_database(DATABASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--washers", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.customers, args.washers)), indent=2))


if __name__ == "__main__":
    main()
