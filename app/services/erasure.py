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

from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.schemas.privacy import ErasureOut
from app.security import verify_password
from domain.audit import AuditAction, AuditTarget
from domain.booking import OPEN_STATUSES
from domain.erasure import (
    COORDINATE_DECIMALS,
    ERASED_NAME,
    ERASED_TEXT,
    UNUSABLE_PASSWORD_HASH,
    erased_email,
)
from domain.errors import Conflict, Forbidden, not_found
from domain.roles import Actor
from persistence.access_ends import record_ended_account
from persistence.models import User
from persistence.orders import involved_in_any, orders_of_customer
from persistence.privacy import scrub_personal_rows
from realtime.control import EndReason


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
    if await involved_in_any(session, user_id, OPEN_STATUSES):
        raise Conflict("open_orders", "finish or cancel the account's open orders first")
    now = datetime.now(UTC)
    user.email, user.full_name = erased_email(user_id), ERASED_NAME
    user.password_hash, user.is_active = UNUSABLE_PASSWORD_HASH, False
    await record_ended_account(session, user_id, EndReason.ACCOUNT_ERASED, now)
    await _erase_order_places(session, user_id)
    await scrub_personal_rows(session, user_id)
    detail = {"reason": reason} if reason else None
    target = (AuditTarget.USER, user_id)
    audit.record(session, AuditAction.USER_ERASED, actor, target, detail=detail)
    await session.commit()
    return ErasureOut(user_id=user_id, erased_at=now)


async def _erase_order_places(session: AsyncSession, customer_id: int) -> None:
    """The customer's addresses and notes go; each place is kept only roughly. Order rows
    are versioned, so they are changed through the ORM (which bumps the version)."""
    for order in await orders_of_customer(session, customer_id):
        order.address, order.notes = ERASED_TEXT, None
        order.lat = round(order.lat, COORDINATE_DECIMALS)
        order.lng = round(order.lng, COORDINATE_DECIMALS)
