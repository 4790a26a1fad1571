"""Turns across processes: a PostgreSQL advisory lock held until the transaction ends.

The background loops that must run in one process at a time (the relay, dispatch, surge,
the retention purge) each take their turn with `take_turn` at the start of a transaction;
a process that does not get it skips that turn. SQLite (embedded, one process) has no such
lock, so callers ask only on PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

_TRY_LOCK = select(func.pg_try_advisory_xact_lock(bindparam("key")))


async def take_turn(session: AsyncSession, key: int) -> bool:
    """Whether this transaction holds the lock `key` now (released at its end). One
    statement built once, run on the session's connection (no ORM execution around it)."""
    conn = await session.connection()
    return bool((await conn.execute(_TRY_LOCK, {"key": key})).scalar())
