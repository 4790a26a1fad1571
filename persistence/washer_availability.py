"""Which washers are idle (on duty with no active order) and which are busy: dispatch and
surge pricing both read `idle_washers`, so "idle" means the same in both."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders import ACTIVE_STATUSES
from persistence.models import Order, User, WasherProfile


async def idle_washers(session: AsyncSession) -> set[int]:
    """Every washer who could take an order now: an active account, marked available, and no
    order in an active status. One statement for the whole fleet, read once per dispatch
    sweep: with nobody idle there is nothing to offer, and the sweep stops before reading a
    single waiting order or position."""
    has_active_order = exists().where(
        Order.washer_id == WasherProfile.user_id,
        Order.status.in_([s.value for s in ACTIVE_STATUSES]),
    )
    return set(
        await session.scalars(
            select(WasherProfile.user_id)
            .join(User, User.id == WasherProfile.user_id)
            .where(
                WasherProfile.is_available.is_(True),
                User.is_active.is_(True),
                ~has_active_order,
            )
        )
    )


async def busy_washers(session: AsyncSession, ids: Sequence[int]) -> set[int]:
    """Those of `ids` with an order in an active status."""
    return {
        washer_id
        for washer_id in await session.scalars(
            select(Order.washer_id).where(
                Order.washer_id.in_(ids),
                Order.status.in_([s.value for s in ACTIVE_STATUSES]),
            )
        )
        if washer_id is not None
    }


async def lock_washer(session: AsyncSession, washer_id: int) -> None:
    """Lock the washer's profile row until the transaction ends (PostgreSQL; SQLite writes
    one transaction at a time), so two orders taken by one washer at once queue here."""
    await session.execute(
        select(WasherProfile.user_id).where(WasherProfile.user_id == washer_id).with_for_update()
    )
