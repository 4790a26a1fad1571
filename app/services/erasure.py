"""Erasing an account: personal data replaced by tombstones (`domain.erasure`), the
business's records kept.

Kept as they are: orders (status, price, times, washer), order events, ratings (stars) and
the audit trail, which is append-only and holds ids and addresses as the record of who did
what. Replaced: the profile, vehicle plates, order addresses and notes (the place rounded),
the user's chat messages and review comments. Deleted: sessions (and so every refresh
token), the second factor, notifications, idempotency records, a washer's track points.
All in one transaction, with its audit entry. An account with an open order is refused:
the order must finish or be cancelled first.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.schemas.privacy import ErasureOut
from app.security import verify_password
from domain.audit import AuditAction, AuditTarget
from domain.booking import OPEN_STATUSES
from domain.erasure import (
    COORDINATE_DECIMALS,
    ERASED_NAME,
    ERASED_PLATE,
    ERASED_TEXT,
    UNUSABLE_PASSWORD_HASH,
    erased_email,
)
from domain.errors import Conflict, Forbidden, not_found
from domain.roles import Actor
from persistence.models import (
    ChatMessage,
    IdempotencyKey,
    Notification,
    Order,
    OrderShare,
    RecoveryCode,
    RefreshToken,
    Review,
    TotpFactor,
    TrackPoint,
    User,
    Vehicle,
    WasherProfile,
)


async def check_password(session: AsyncSession, user_id: int, password: str) -> None:
    """A user erasing their own account proves it with the password (403 `wrong_password`)."""
    user = await session.get(User, user_id)
    if user is None or not await verify_password(user.password_hash, password):
        raise Forbidden("wrong_password", "the password is not the account's")


async def erase_user(
    session: AsyncSession, actor: Actor, user_id: int, reason: str | None = None
) -> ErasureOut:
    """Erase `user_id` for `actor` (the user, or an admin giving a `reason`); commits."""
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("user")
    open_statuses = [status.value for status in OPEN_STATUSES]
    has_open_order = await session.scalar(
        select(
            exists().where(
                or_(Order.customer_id == user_id, Order.washer_id == user_id),
                Order.status.in_(open_statuses),
            )
        )
    )
    if has_open_order:
        raise Conflict("open_orders", "finish or cancel the account's open orders first")
    now = datetime.now(UTC)
    user.email, user.full_name = erased_email(user_id), ERASED_NAME
    user.password_hash, user.is_active = UNUSABLE_PASSWORD_HASH, False
    await session.execute(
        update(WasherProfile)
        .where(WasherProfile.user_id == user_id)
        .values(is_available=False, last_lat=None, last_lng=None, last_fix_at=None)
    )
    await session.execute(
        update(Vehicle).where(Vehicle.owner_id == user_id).values(plate=ERASED_PLATE, color=None)
    )
    await _erase_order_places(session, user_id)
    await session.execute(
        update(ChatMessage).where(ChatMessage.sender_id == user_id).values(body=ERASED_TEXT)
    )
    await session.execute(update(Review).where(Review.customer_id == user_id).values(comment=None))
    for model, owner in (
        (RefreshToken, RefreshToken.user_id),
        (TotpFactor, TotpFactor.user_id),
        (RecoveryCode, RecoveryCode.user_id),
        (Notification, Notification.user_id),
        (IdempotencyKey, IdempotencyKey.user_id),
        (TrackPoint, TrackPoint.washer_id),
        (OrderShare, OrderShare.created_by),
    ):
        await session.execute(delete(model).where(owner == user_id))
    detail = {"reason": reason} if reason else None
    target = (AuditTarget.USER, user_id)
    audit.record(session, AuditAction.USER_ERASED, actor, target, detail=detail)
    await session.commit()
    return ErasureOut(user_id=user_id, erased_at=now)


async def _erase_order_places(session: AsyncSession, customer_id: int) -> None:
    """The customer's addresses and notes go; each place is kept only roughly. Order rows
    are versioned, so they are changed through the ORM (which bumps the version)."""
    orders = (await session.scalars(select(Order).where(Order.customer_id == customer_id))).all()
    for order in orders:
        order.address, order.notes = ERASED_TEXT, None
        order.lat = round(order.lat, COORDINATE_DECIMALS)
        order.lng = round(order.lng, COORDINATE_DECIMALS)
