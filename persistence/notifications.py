"""Personal notifications: stored (for the unread count) and queued for `user:{id}`; read
back a page at a time and marked read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import Notification
from persistence.outbox import insert_outbox_rows, outbox_values

USER_TOPIC = "user"
NOTIFICATION_ID = "notification_id"
"""The field every event on `user:{id}` adds to its data: the stored notification's id."""


_notifications = cast(Table, Notification.__table__)
_INSERT_NOTIFICATIONS = insert(_notifications).returning(
    _notifications.c.id, sort_by_parameter_order=True
)


async def insert_notifications(
    session: AsyncSession,
    user_ids: Sequence[int],
    kind: str,
    payload: dict[str, Any],
    now: datetime,
) -> list[dict[str, Any]]:
    """Store one notification per user in one statement (their ids by RETURNING, in the
    users' order) and answer their outbox rows' `outbox_values`, for the caller to write
    with the others of its transaction (`persistence.outbox.insert_outbox_rows`)."""
    if not user_ids:
        return []
    conn = await session.connection()
    result = await conn.execute(
        _INSERT_NOTIFICATIONS,
        [
            {"user_id": user_id, "kind": kind, "payload": payload, "created_at": now}
            for user_id in user_ids
        ],
    )
    return [
        outbox_values(
            topic=USER_TOPIC,
            aggregate_id=user_id,
            seq=notification_id,
            event_type=kind,
            payload={NOTIFICATION_ID: notification_id, **payload},
            created_at=now,
        )
        for user_id, notification_id in zip(user_ids, result.scalars(), strict=True)
    ]


async def notify(
    session: AsyncSession, user_id: int, kind: str, payload: dict[str, Any], now: datetime
) -> int:
    """Store a notification and its outbox row in the caller's transaction (it commits);
    answers the notification's id."""
    rows = await insert_notifications(session, [user_id], kind, payload, now)
    await insert_outbox_rows(session, rows)
    return int(rows[0]["seq"])


async def notifications_page(
    session: AsyncSession, user_id: int, *, unread_only: bool, before: int | None, limit: int
) -> list[Notification]:
    """The user's notifications, newest first, older than `before` when given."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before is not None:
        query = query.where(Notification.id < before)
    return list(await session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


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
