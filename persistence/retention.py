"""The retention purge's rows: which of each kind are past their cutoff, purged a bounded
batch at a time (track points, notifications, unused quotes and old access ends deleted;
chat messages keep their row and lose their body, so an order's chat numbering keeps no
holes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.retention import EXPIRED_CHAT_BODY, RetainedKind
from persistence.models import ChatMessage, EndedAccess, Notification, PriceQuote, TrackPoint


def _expired(kind: RetainedKind, cutoff: datetime) -> tuple[Any, ColumnElement[bool]]:
    """The table of `kind` and which of its rows are past `cutoff` and not yet purged."""
    if kind is RetainedKind.TRACK_POINTS:
        return TrackPoint, TrackPoint.recorded_at < cutoff
    if kind is RetainedKind.NOTIFICATIONS:
        return Notification, Notification.created_at < cutoff
    if kind is RetainedKind.UNUSED_QUOTES:
        return PriceQuote, (PriceQuote.expires_at < cutoff) & PriceQuote.order_id.is_(None)
    if kind is RetainedKind.ENDED_ACCESS:
        return EndedAccess, EndedAccess.ended_at < cutoff
    return ChatMessage, (ChatMessage.sent_at < cutoff) & (ChatMessage.body != EXPIRED_CHAT_BODY)


async def purge_oldest(
    session: AsyncSession, kind: RetainedKind, cutoff: datetime, limit: int
) -> int:
    """Purge the oldest `limit` rows of `kind` past `cutoff`; how many were purged."""
    model, expired = _expired(kind, cutoff)
    oldest = select(model.id).where(expired).order_by(model.id).limit(limit)
    ids = list(await session.scalars(oldest))
    if not ids:
        return 0
    if kind is RetainedKind.CHAT_BODIES:
        statement: Any = update(model).values(body=EXPIRED_CHAT_BODY)
    else:
        statement = delete(model)
    await session.execute(
        statement.where(model.id.in_(ids)).execution_options(synchronize_session=False)
    )
    return len(ids)
