"""Washers: admin management and a washer's own availability."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.schemas.washers import WasherIn, WasherOut, WasherPatch
from app.services.accounts import create_user
from app.settings import Settings
from domain.audit import AuditAction, AuditTarget, changed_fields
from domain.errors import not_found
from domain.roles import Actor, Role
from persistence import washers as stored
from persistence.access_ends import record_ended_account
from persistence.models import User, WasherProfile
from persistence.outbox import wake_dispatch_after_commit
from realtime.control import EndReason


def washer_out(user: User, profile: WasherProfile) -> WasherOut:
    return WasherOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        is_active=user.is_active,
        is_available=profile.is_available,
        rating_average=profile.rating_average,
        rating_count=profile.rating_count,
        last_lat=profile.last_lat,
        last_lng=profile.last_lng,
        last_fix_at=profile.last_fix_at,
    )


async def get_washer(session: AsyncSession, washer_id: int) -> tuple[User, WasherProfile]:
    row = await stored.washer_row(session, washer_id)
    if row is None:
        raise not_found("washer")
    return row


async def list_washers(
    session: AsyncSession, *, available: bool | None, limit: int, offset: int
) -> list[tuple[User, WasherProfile]]:
    return await stored.washers_page(session, available=available, limit=limit, offset=offset)


async def create_washer(
    session: AsyncSession, settings: Settings, data: WasherIn, actor: Actor
) -> tuple[User, WasherProfile]:
    user = await create_user(
        session,
        settings,
        email=data.email,
        password=data.password,
        full_name=data.full_name,
        role=Role.WASHER,
        is_available=data.is_available,
        actor=actor,
    )
    return await get_washer(session, user.id)


def _audited_state(user: User, profile: WasherProfile) -> dict[str, object]:
    return {
        "full_name": user.full_name,
        "is_active": user.is_active,
        "is_available": profile.is_available,
    }


async def _end_access(session: AsyncSession, user: User) -> None:
    """A deactivated washer's access tokens end with the change (`app.session_access`)."""
    await record_ended_account(session, user.id, EndReason.ACCOUNT_DEACTIVATED, datetime.now(UTC))


async def _commit_change(
    session: AsyncSession,
    action: AuditAction,
    actor: Actor,
    user: User,
    profile: WasherProfile,
    was: dict[str, object],
) -> None:
    """Commit an admin's change to a washer, audited with the fields it changed since
    `was` (`_audited_state` before the change)."""
    before, after = changed_fields(was, _audited_state(user, profile))
    target = (AuditTarget.USER, user.id)
    audit.record(session, action, actor, target, before=before, after=after)
    await session.commit()


async def update_washer(
    session: AsyncSession, washer_id: int, patch: WasherPatch, actor: Actor
) -> tuple[User, WasherProfile]:
    """Apply an admin's edit, audited with the fields it changed."""
    user, profile = await get_washer(session, washer_id)
    was = _audited_state(user, profile)
    if patch.full_name is not msgspec.UNSET:
        user.full_name = patch.full_name
    if patch.is_active is not msgspec.UNSET:
        user.is_active = patch.is_active
        if not patch.is_active:
            profile.is_available = False
            await _end_access(session, user)
    if patch.is_available is not msgspec.UNSET:
        profile.is_available = patch.is_available
    if profile.is_available:
        wake_dispatch_after_commit(session)
    await _commit_change(session, AuditAction.WASHER_UPDATED, actor, user, profile, was)
    return user, profile


async def deactivate_washer(session: AsyncSession, washer_id: int, actor: Actor) -> None:
    """Washers are deactivated, not deleted: their orders and reviews keep their history."""
    user, profile = await get_washer(session, washer_id)
    was = _audited_state(user, profile)
    user.is_active = False
    profile.is_available = False
    await _end_access(session, user)
    await _commit_change(session, AuditAction.WASHER_DEACTIVATED, actor, user, profile, was)


async def set_availability(
    session: AsyncSession, washer_id: int, available: bool
) -> tuple[User, WasherProfile]:
    user, profile = await get_washer(session, washer_id)
    profile.is_available = available
    if available:
        wake_dispatch_after_commit(session)
    await session.commit()
    return user, profile
