"""Personal notifications: stored (for the unread count) and queued for `user:{id}`; read
back a page at a time (a Core statement per shape, plain rows: a tenth of the API's
traffic) and marked read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeAlias, cast

from sqlalchemy import Row, Select, Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import Notification
from persistence.outbox import insert_outbox_rows, outbox_values

NotificationRow: TypeAlias = Row[*tuple[Any, ...]]
"""A row of the `notification` table's columns."""

USER_TOPIC = "user"
NOTIFICATION_ID = "notification_id"
"""The field every event on `user:{id}` adds to its data: the stored notification's id."""


_notifications = cast(Table, Notification.__table__)
_INSERT_NOTIFICATIONS = insert(_notifications).returning(
    _notifications.c.id, sort_by_parameter_order=True
)


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification to store: who, what kind, and its data."""

    user_id: int
    kind: str
    payload: dict[str, Any]


async def insert_notices(
    session: AsyncSession, notices: Sequence[Notice], now: datetime
) -> list[dict[str, Any]]:
    """Store every notice in one statement (their ids by RETURNING, in the notices' order)
    and answer their outbox rows' `outbox_values`, for the caller to write with the others
    of its transaction (`persistence.outbox.insert_outbox_rows`)."""
    if not notices:
        return []
    conn = await session.connection()
    result = await conn.execute(
        _INSERT_NOTIFICATIONS,
        [
            {"user_id": n.user_id, "kind": n.kind, "payload": n.payload, "created_at": now}
            for n in notices
        ],
    )
    return [
        outbox_values(
            topic=USER_TOPIC,
            aggregate_id=notice.user_id,
            seq=notification_id,
            event_type=notice.kind,
            payload={NOTIFICATION_ID: notification_id, **notice.payload},
            created_at=now,
        )
        for notice, notification_id in zip(notices, result.scalars(), strict=True)
    ]


async def notify_all(session: AsyncSession, notices: Sequence[Notice], now: datetime) -> None:
    """Store the notices and their outbox rows in the caller's transaction (it commits): two
    statements however many there are, none for none."""
    if notices:
        await insert_outbox_rows(session, await insert_notices(session, notices, now))


@lru_cache(maxsize=4)
def _page_statement(unread_only: bool, before: bool) -> Select[Any]:
    """One statement per shape of filter, values bound at execution."""
    query = select(*_notifications.c).where(_notifications.c.user_id == bindparam("user_id"))
    if unread_only:
        query = query.where(_notifications.c.read_at.is_(None))
    if before:
        query = query.where(_notifications.c.id < bindparam("before"))
    return query.order_by(_notifications.c.id.desc()).limit(bindparam("limit"))


async def notifications_page(
    session: AsyncSession, user_id: int, *, unread_only: bool, before: int | None, limit: int
) -> list[NotificationRow]:
    """The user's notifications, newest first, older than `before` when given."""
    statement = _page_statement(unread_only, before is not None)
    conn = await session.connection()
    values = {"user_id": user_id, "before": before, "limit": limit}
    return list((await conn.execute(statement, values)).all())


async def unread_count(session: AsyncSession, user_id: int) -> int:
    count = await session.scalar(
        select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def mark_read_up_to(
    session: AsyncSession, user_id: int, up_to_id: int, now: datetime
) -> None:
    """Mark the user's unread notifications up to `up_to_id` read at `now`."""
    await session.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.id <= up_to_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
    )
