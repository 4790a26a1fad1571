"""Writing and reading the audit trail (`AuditEvent`).

`add_audit_event` only adds the row to the caller's session: the caller commits it with the
change it records, so there is never a change without its entry nor an entry without its
change. An outbox row goes with it, so the entry reaches the `audit` channel (admins' live
feed) once committed, and only then. Reading pages newest first by id, a cursor that stays
exact while entries are added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.event_data import AuditEntryData, as_data
from domain.events import AUDIT_ENTRY
from persistence.models import AuditEvent
from persistence.outbox import append

AUDIT_TOPIC = "audit"


@dataclass(frozen=True)
class AuditOrigin:
    """Where an audited request came from: its request id (`X-Request-ID`) and address."""

    request_id: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class AuditFilter:
    """Narrowing of an audit query; every field left `None` matches everything."""

    action: str | None = None
    actor_id: int | None = None
    target_type: str | None = None
    target_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def add_audit_event(
    session: AsyncSession,
    *,
    action: str,
    now: datetime,
    origin: AuditOrigin,
    actor_id: int | None = None,
    actor_role: str | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    entry = AuditEntryData(
        occurred_at=str(msgspec.to_builtins(now)),
        action=action,
        actor_id=actor_id,
        actor_role=actor_role,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        detail=detail,
        request_id=origin.request_id,
        address=origin.address,
    )
    # The row is the entry as admins see it live, with its time as a time: one list of
    # fields, so the stored trail and the live feed cannot say different things.
    event = AuditEvent(**{**msgspec.structs.asdict(entry), "occurred_at": now})
    session.add(event)
    append(
        session,
        topic=AUDIT_TOPIC,
        aggregate_id=0,
        seq=0,
        event_type=AUDIT_ENTRY,
        payload=as_data(entry),
        created_at=now,
    )
    return event


def _filtered(query: Select[AuditEvent], where: AuditFilter) -> Select[AuditEvent]:
    if where.action is not None:
        query = query.where(AuditEvent.action == where.action)
    if where.actor_id is not None:
        query = query.where(AuditEvent.actor_id == where.actor_id)
    if where.target_type is not None:
        query = query.where(AuditEvent.target_type == where.target_type)
    if where.target_id is not None:
        query = query.where(AuditEvent.target_id == where.target_id)
    if where.since is not None:
        query = query.where(AuditEvent.occurred_at >= where.since)
    if where.until is not None:
        query = query.where(AuditEvent.occurred_at < where.until)
    return query


async def audit_page(
    session: AsyncSession, where: AuditFilter, *, before_id: int | None, limit: int
) -> tuple[Sequence[AuditEvent], int | None]:
    """Up to `limit` entries matching `where`, newest first, older than `before_id` when
    given; and the cursor of the next page (`None` on the last one)."""
    query = _filtered(select(AuditEvent), where)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    rows = (await session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1))).all()
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].id
    return rows, None
