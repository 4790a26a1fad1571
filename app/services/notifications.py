"""A user's notifications: list, unread count, mark read."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from persistence import notifications as stored


async def list_notifications(
    session: AsyncSession, user_id: int, *, unread_only: bool, before: int | None, limit: int
) -> list[stored.NotificationRow]:
    return await stored.notifications_page(
        session, user_id, unread_only=unread_only, before=before, limit=limit
    )


async def unread_count(session: AsyncSession, user_id: int) -> int:
    return await stored.unread_count(session, user_id)


async def mark_read(session: AsyncSession, user_id: int, up_to_id: int) -> int:
    """Mark the caller's notifications up to `up_to_id` read; returns the unread count left."""
    await stored.mark_read_up_to(session, user_id, up_to_id, datetime.now(UTC))
    await session.commit()
    return await stored.unread_count(session, user_id)
