"""A person's rows, for the right of access (every row held about them) and erasure (the
personal fields scrubbed, what is only about them deleted).

What replaces a personal field is `domain.erasure`'s tombstones; which columns hold personal
data is a fact of the schema, so it is stated here, next to the models.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import AuditTarget
from domain.erasure import ERASED_PLATE, ERASED_TEXT
from persistence.models import (
    AuditEvent,
    ChatMessage,
    IdempotencyKey,
    Notification,
    OrderShare,
    RecoveryCode,
    RefreshToken,
    Review,
    TotpFactor,
    TrackPoint,
    Vehicle,
    WasherProfile,
)


async def rows_where(session: AsyncSession, model: Any, *where: ColumnElement[bool]) -> list[Any]:
    """Every row of `model` matching `where`, by id."""
    return list((await session.scalars(select(model).where(*where).order_by(model.id))).all())


async def audit_trail_of(session: AsyncSession, user_id: int) -> list[AuditEvent]:
    """Audit entries the user made or that were about their account, by id."""
    about = or_(
        AuditEvent.actor_id == user_id,
        (AuditEvent.target_type == AuditTarget.USER.value) & (AuditEvent.target_id == user_id),
    )
    return await rows_where(session, AuditEvent, about)


async def factor_row(session: AsyncSession, user_id: int) -> TotpFactor | None:
    return await session.scalar(select(TotpFactor).where(TotpFactor.user_id == user_id))


ONLY_ABOUT_THE_PERSON: tuple[tuple[Any, Any], ...] = (
    (RefreshToken, RefreshToken.user_id),
    (TotpFactor, TotpFactor.user_id),
    (RecoveryCode, RecoveryCode.user_id),
    (Notification, Notification.user_id),
    (IdempotencyKey, IdempotencyKey.user_id),
    (TrackPoint, TrackPoint.washer_id),
    (OrderShare, OrderShare.created_by),
)
"""Tables whose rows are only about their person (by that column): erasure deletes them."""


async def scrub_personal_rows(session: AsyncSession, user_id: int) -> None:
    """Replace the user's personal fields outside the account and orders (the washer
    profile's position, vehicle plates, chat messages, review comments) with tombstones,
    and delete the rows only about them. Order rows are versioned; the caller changes them
    through the ORM."""
    await session.execute(
        update(WasherProfile)
        .where(WasherProfile.user_id == user_id)
        .values(is_available=False, last_lat=None, last_lng=None, last_fix_at=None)
    )
    await session.execute(
        update(Vehicle).where(Vehicle.owner_id == user_id).values(plate=ERASED_PLATE, color=None)
    )
    await session.execute(
        update(ChatMessage).where(ChatMessage.sender_id == user_id).values(body=ERASED_TEXT)
    )
    await session.execute(update(Review).where(Review.customer_id == user_id).values(comment=None))
    for model, owner in ONLY_ABOUT_THE_PERSON:
        await session.execute(delete(model).where(owner == user_id))
