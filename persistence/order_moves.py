"""An order's row for a state-machine move, read and written as Core statements.

A transition reads the order once and writes its row once. Through the ORM that was an
identity-map load of the object, then, at the commit, a flush whose versioned UPDATE
refused a concurrent move by its row count. Here the read is one SELECT of the columns the
rules and the answer need, and the write one UPDATE that checks the version it read, steps
it, and returns the new row: a lost race is an empty result, caught before anything else
of the move is written (the row stays locked until the commit, so a concurrent move waits
on it and then finds the version changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import Order
from persistence.order_reads import ORDER_COLUMNS, OrderRow

_order = cast(Table, Order.__table__)

MOVE_COLUMNS = (*ORDER_COLUMNS, _order.c.assigned_at)
"""The answer's columns and the facts a move reads (`assigned_at`: time-to-assign)."""

_READ = select(*MOVE_COLUMNS).where(_order.c.id == bindparam("order_id"))

_WRITE = (
    update(_order)
    .where(_order.c.id == bindparam("order_id"), _order.c.version == bindparam("seen_version"))
    .values(
        status=bindparam("status"),
        washer_id=bindparam("washer_id"),
        arrived_at=bindparam("arrived_at"),
        assigned_at=bindparam("assigned_at"),
        last_event_seq=bindparam("last_event_seq"),
        version=_order.c.version + 1,
        updated_at=bindparam("updated_at"),
    )
    .returning(*MOVE_COLUMNS)
)


@dataclass(frozen=True, slots=True)
class OrderChange:
    """What one move sets on the order's row."""

    status: str
    washer_id: int | None
    arrived_at: datetime | None
    assigned_at: datetime | None
    last_event_seq: int


async def order_for_move(session: AsyncSession, order_id: int) -> OrderRow | None:
    """The order's row as `MOVE_COLUMNS`, or None when there is no such order."""
    conn = await session.connection()
    return (await conn.execute(_READ, {"order_id": order_id})).one_or_none()


async def write_move(
    session: AsyncSession, seen: OrderRow, change: OrderChange, now: datetime
) -> OrderRow | None:
    """Write `change` to the order `seen` was read as, if its version is still the one
    read; the new row (its version one step on), or None when another writer got there
    first. The caller commits (or rolls back on None)."""
    conn = await session.connection()
    result = await conn.execute(
        _WRITE,
        {
            "order_id": seen.id,
            "seen_version": seen.version,
            "status": change.status,
            "washer_id": change.washer_id,
            "arrived_at": change.arrived_at,
            "assigned_at": change.assigned_at,
            "last_event_seq": change.last_event_seq,
            "updated_at": now,
        },
    )
    return result.one_or_none()
