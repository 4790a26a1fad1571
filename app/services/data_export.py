"""Everything held about a user, as one JSON document (the right of access).

Rows are exported column by column, so a column added to a table later is exported too;
only secrets are left out (password and token hashes, the authenticator secret, recovery
code hashes), since the document travels and they would grant access to whoever holds it.
Exporting is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.schemas.privacy import DataExport
from domain.audit import AuditAction, AuditTarget
from domain.errors import not_found
from domain.roles import Actor
from persistence.models import (
    ChatMessage,
    ChatRead,
    DispatchOffer,
    EndedAccess,
    IdempotencyKey,
    Notification,
    OrderEvent,
    OrderShare,
    PriceQuote,
    RecoveryCode,
    RefreshToken,
    Review,
    TotpFactor,
    TrackPoint,
    User,
    Vehicle,
    WasherProfile,
)
from persistence.orders import orders_involving
from persistence.privacy import audit_trail_of, factor_row, rows_where

SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "secret", "code_hash"})


def row(item: Any) -> dict[str, Any]:
    """A model row as a dict of its columns, secrets left out."""
    return {
        column.key: getattr(item, column.key)
        for column in item.__table__.columns
        if column.key not in SECRET_COLUMNS
    }


def rows(items: Iterable[Any]) -> list[dict[str, Any]]:
    return [row(item) for item in items]


async def export_user_data(session: AsyncSession, actor: Actor, user_id: int) -> DataExport:
    """The export of `user_id`, asked for by `actor` (the user, or an admin on their behalf)."""
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("user")
    orders = await orders_involving(session, user_id)
    order_ids = [order.id for order in orders]

    async def all_of(model: Any, *where: Any) -> list[dict[str, Any]]:
        return rows(await rows_where(session, model, *where))

    profiles = await all_of(WasherProfile, WasherProfile.user_id == user_id)
    factor = await factor_row(session, user_id)
    document = DataExport(
        generated_at=datetime.now(UTC),
        user=row(user),
        washer_profile=profiles[0] if profiles else None,
        second_factor_enabled=factor is not None and factor.confirmed_at is not None,
        vehicles=await all_of(Vehicle, Vehicle.owner_id == user_id),
        orders=rows(orders),
        order_events=await all_of(OrderEvent, OrderEvent.order_id.in_(order_ids)),
        chat_messages=await all_of(ChatMessage, ChatMessage.sender_id == user_id),
        reviews=await all_of(
            Review, or_(Review.customer_id == user_id, Review.washer_id == user_id)
        ),
        notifications=await all_of(Notification, Notification.user_id == user_id),
        sessions=await all_of(RefreshToken, RefreshToken.user_id == user_id),
        track_points=await all_of(TrackPoint, TrackPoint.washer_id == user_id),
        chat_reads=await all_of(ChatRead, ChatRead.user_id == user_id),
        dispatch_offers=await all_of(DispatchOffer, DispatchOffer.washer_id == user_id),
        idempotency_keys=await all_of(IdempotencyKey, IdempotencyKey.user_id == user_id),
        second_factor=await all_of(TotpFactor, TotpFactor.user_id == user_id),
        recovery_codes=await all_of(RecoveryCode, RecoveryCode.user_id == user_id),
        share_links=await all_of(OrderShare, OrderShare.created_by == user_id),
        price_quotes=await all_of(PriceQuote, PriceQuote.customer_id == user_id),
        ended_access=await all_of(EndedAccess, EndedAccess.user_id == user_id),
        audit_events=rows(await audit_trail_of(session, user_id)),
    )
    audit.record(session, AuditAction.DATA_EXPORTED, actor, (AuditTarget.USER, user_id))
    await session.commit()
    return document
