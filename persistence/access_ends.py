"""The ends of sessions and accounts: recorded with the change that ends them, read by every
process's poll (`app.session_access`).

A row is written in the same transaction as the change, so an end is known exactly when it
is true. The poll reads the ends of the last token lifetime, in one statement built once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import EndedAccess

_ended = cast(Table, EndedAccess.__table__)
_RECORD = insert(_ended)
_SINCE = select(_ended.c.user_id, _ended.c.family_id, _ended.c.reason, _ended.c.ended_at).where(
    _ended.c.ended_at > bindparam("since")
)


class AccessEnd(NamedTuple):
    user_id: int
    family_id: str | None
    """None: every token of the account."""
    reason: str
    ended_at: datetime


async def record_ended_sessions(
    session: AsyncSession, user_id: int, families: Sequence[str], reason: str, now: datetime
) -> None:
    """The sessions `families` of `user_id` ended at `now`."""
    if families:
        rows = [
            {"user_id": user_id, "family_id": family, "reason": reason, "ended_at": now}
            for family in families
        ]
        await session.execute(_RECORD, rows)


async def record_ended_account(
    session: AsyncSession, user_id: int, reason: str, now: datetime
) -> None:
    """Every access token `user_id` holds at `now` ended."""
    row = {"user_id": user_id, "family_id": None, "reason": reason, "ended_at": now}
    await session.execute(_RECORD, [row])


async def ends_since(session: AsyncSession, since: datetime) -> list[AccessEnd]:
    """Every end recorded after `since`, on an autocommit connection: one round trip."""
    conn = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return [AccessEnd(*row) for row in await conn.execute(_SINCE, {"since": since})]
