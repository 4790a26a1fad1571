"""Personal notifications: stored (for the unread count) and queued for `user:{id}`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import Notification, OutboxEvent
from persistence.outbox import mark_outbox_dirty

USER_TOPIC = "user"
NOTIFICATION_ID = "notification_id"
"""The field every event on `user:{id}` adds to its data: the stored notification's id."""


async def notify(
    session: AsyncSession, user_id: int, kind: str, payload: dict[str, Any], now: datetime
) -> Notification:
    """Store a notification and its outbox row in the caller's transaction."""
    notification = Notification(user_id=user_id, kind=kind, payload=payload, created_at=now)
    session.add(notification)
    await session.flush()
    session.add(
        OutboxEvent(
            topic=USER_TOPIC,
            aggregate_id=user_id,
            seq=notification.id,
            event_type=kind,
            payload={NOTIFICATION_ID: notification.id, **payload},
            created_at=now,
        )
    )
    mark_outbox_dirty(session)
    return notification
