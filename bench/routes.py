"""What the services behind the API's busiest routes cost the process: CPU and statements.

    .venv/bin/python -m bench.routes                  # 2,000 customers, 300 washers
    .venv/bin/python -m bench.routes --customers 200 --washers 30 --rounds 500

A fresh PostgreSQL database is migrated and seeded as `bench.api` seeds it, then the
services behind the mix's routes run in this process, one session per call, with the
arguments the load generator sends: a customer's order detail, their first page of
orders, an active order's chat history (as its customer) and their notifications, each on
a read session (`app.http.reads`, as a GET handler gets it); a chat message sent by an
active order's customer and a token refresh (each customer's own session, rotated call after
call), on write sessions. The first tenth of each is a warm-up. No
HTTP, no authentication, no encoding: the figure is the service's own share of a request,
and it moves only when the service does.

Beside the order detail, its one statement alone, twice: on a pooled SQLAlchemy connection
(what the service adds around it: the session, the visibility rule, the mapping) and,
compiled once, on a pooled raw asyncpg connection, as `bench.api_floor` runs its queries
(what SQLAlchemy adds). Only 127.0.0.1; the database is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.http.reads import read_session_factory
from app.principal import Principal
from app.services import accounts, chat, notifications, order_views
from app.settings import Settings
from bench.api import _create_pg_database, _drop_pg_database
from bench.api_seed import SeedShape, seed
from bench.common import StatementCounter
from domain.roles import Role
from persistence.database import create_engine, create_session_factory
from persistence.migrate import upgrade
from persistence.order_reads import ORDER_DETAIL

DATABASE = "washline_bench_routes"

Call = Callable[[AsyncSession, random.Random], Awaitable[Any]]


def _customer(user_id: int) -> Principal:
    return Principal(id=user_id, role=Role.CUSTOMER, email="c@bench.test", expires_at=0.0)


def _reads(orders_of: dict[int, list[int]], active: list[list[int]]) -> dict[str, Call]:
    customers = list(orders_of)

    def order_detail(session: AsyncSession, rng: random.Random) -> Awaitable[Any]:
        customer = rng.choice(customers)
        order = rng.choice(orders_of[customer])
        return order_views.order_detail(session, _customer(customer), order)

    def my_orders(session: AsyncSession, rng: random.Random) -> Awaitable[Any]:
        return order_views.list_orders(
            session,
            _customer(rng.choice(customers)),
            statuses=[],
            customer_id=None,
            washer_id=None,
            limit=20,
            offset=0,
        )

    def chat_history(session: AsyncSession, rng: random.Random) -> Awaitable[Any]:
        customer, _, order = rng.choice(active)
        return chat.list_messages(
            session, _customer(customer), order, before=None, after=None, limit=50
        )

    def notification_list(session: AsyncSession, rng: random.Random) -> Awaitable[Any]:
        return notifications.list_notifications(
            session, rng.choice(customers), unread_only=False, before=None, limit=20
        )

    return {
        "order_detail": order_detail,
        "my_orders": my_orders,
        "chat_history": chat_history,
        "notifications": notification_list,
    }


def _post_chat(active: list[list[int]]) -> Call:
    limiter = chat.ChatRateLimiter(limit=1_000_000)

    def post(session: AsyncSession, rng: random.Random) -> Awaitable[Any]:
        customer, _, order = rng.choice(active)
        return chat.post_message(session, _customer(customer), order, "on my way?", limiter)

    return post


async def _refresh(sessions: async_sessionmaker[AsyncSession], customers: list[int]) -> Call:
    """A refresh of one of `customers`' sessions, each begun here; every call spends the
    session's current token and keeps the one it gets."""
    settings = Settings.from_env(
        {"JWT_SECRET": "bench-routes-" + "x" * 32, "PASSWORD_HASH_FAST": "true"}
    )
    tokens: dict[int, str] = {}
    for customer in customers:
        async with sessions() as session:
            user = await accounts.get_user(session, customer)
            pair = await accounts.issue_tokens(session, settings, user)
            tokens[customer] = pair.refresh_token

    async def refresh(session: AsyncSession, rng: random.Random) -> None:
        customer = rng.choice(customers)
        pair = await accounts.refresh(session, settings, tokens[customer], "bench")
        tokens[customer] = pair.refresh_token

    return refresh


async def measure(customers: int, washers: int, rounds: int) -> dict[str, Any]:
    url = await _create_pg_database(DATABASE)
    try:
        await asyncio.to_thread(upgrade, url)
        seeded = await seed(url, SeedShape(customers=customers, washers=washers), "unused")
        orders_of = {int(c): ids for c, ids in seeded.orders_of.items()}
        engine = create_engine(url)
        statements = StatementCounter(engine)
        reads, writes = read_session_factory(engine), create_session_factory(engine)

        async def run(call: Call, sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
            rng = random.Random(1)
            for _ in range(rounds // 10):
                async with sessions() as session:
                    await call(session, rng)
            statements.reset()
            started = time.process_time()
            for _ in range(rounds):
                async with sessions() as session:
                    await call(session, rng)
            cpu = time.process_time() - started
            return {
                "calls": rounds,
                "cpu_us_per_call": round(cpu / rounds * 1e6),
                "statements_per_call": round(statements.count / rounds, 2),
            }

        try:
            measured = {
                name: await run(read, reads)
                for name, read in _reads(orders_of, seeded.active).items()
            }
            measured["post_chat"] = await run(_post_chat(seeded.active), writes)
            signed_in = list(orders_of)[:200]
            measured["refresh"] = await run(await _refresh(writes, signed_in), writes)
            measured.update(await _detail_statement_alone(engine, orders_of, rounds))
            return measured
        finally:
            await engine.dispose()
    finally:
        await _drop_pg_database(DATABASE)


async def _detail_statement_alone(
    engine: AsyncEngine, orders_of: dict[int, list[int]], rounds: int
) -> dict[str, Any]:
    """The order detail's statement without the service: on SQLAlchemy, then on asyncpg."""
    orders = [order for ids in orders_of.values() for order in ids]
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    compiled = ORDER_DETAIL.compile(dialect=engine.dialect)
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)

    async def on_sqlalchemy(order_id: int) -> None:
        async with autocommit.connect() as conn:
            (await conn.execute(ORDER_DETAIL, {"order_id": order_id})).all()

    async def on_asyncpg(order_id: int) -> None:
        async with pool.acquire() as conn:
            await conn.fetch(compiled.string, order_id)

    measured = {}
    try:
        for name, call in (
            ("order_detail_statement_on_sqlalchemy", on_sqlalchemy),
            ("order_detail_statement_on_asyncpg", on_asyncpg),
        ):
            rng = random.Random(1)
            for _ in range(rounds // 10):
                await call(rng.choice(orders))
            started = time.process_time()
            for _ in range(rounds):
                await call(rng.choice(orders))
            cpu = time.process_time() - started
            measured[name] = {
                "calls": rounds,
                "cpu_us_per_call": round(cpu / rounds * 1e6),
                "statements_per_call": 1.0,
            }
    finally:
        await pool.close()
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--washers", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2000, help="measured calls of each kind")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.customers, args.washers, args.rounds)), indent=2))


if __name__ == "__main__":
    main()
