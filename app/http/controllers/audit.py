"""The audit trail for admins: read only. No route changes or deletes an entry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.http.answers import Answer
from app.http.auth import admin_only
from app.http.controllers.params import IdCursor, IdFilter
from app.http.errors import ApiError
from app.schemas.audit import AuditEventOut, AuditPage
from app.schemas.rows import from_row
from domain.audit import AuditAction, AuditTarget
from persistence.audit import AuditFilter, audit_page
from persistence.models import AuditEvent

AuditLimit = Annotated[int, Parameter(ge=1, le=200, description="page size (1-200)")]
Instant = Annotated[
    datetime | None, Parameter(description="ISO 8601 with a timezone, e.g. 2026-12-01T00:00:00Z")
]


def audit_event_out(event: AuditEvent) -> AuditEventOut:
    return from_row(AuditEventOut, event)


def _aware(name: str, value: datetime | None) -> datetime | None:
    """A time filter must say its timezone: a naive one would be read in an unknown zone."""
    if value is not None and value.utcoffset() is None:
        raise ApiError(400, "timestamp_needs_timezone", f"{name} must carry a timezone")
    return value


class AuditController(Controller):
    path = "/api/admin/audit"
    tags = ["admin"]
    guards = [admin_only]

    @get(
        "/",
        summary="The audit trail, newest first, with filters and cursor paging (admins)",
        description="Security-relevant and admin actions: logins and their failures, "
        "registrations, refresh-token replays, accounts created, washer and package edits "
        "(with the changed fields before and after), admin moves of orders. Page with "
        "`before=<next_before>`; entries added meanwhile never shift a page.",
        refuses=(
            Answer(400, "timestamp_needs_timezone", "a `since` or `until` without a timezone"),
        ),
    )
    async def list_audit(
        self,
        db_session: AsyncSession,
        action: AuditAction | None = None,
        actor_id: IdFilter = None,
        target_type: AuditTarget | None = None,
        target_id: IdFilter = None,
        since: Instant = None,
        until: Instant = None,
        before: IdCursor = None,
        limit: AuditLimit = 50,
    ) -> AuditPage:
        where = AuditFilter(
            action=action.value if action else None,
            actor_id=actor_id,
            target_type=target_type.value if target_type else None,
            target_id=target_id,
            since=_aware("since", since),
            until=_aware("until", until),
        )
        rows, next_before = await audit_page(db_session, where, before_id=before, limit=limit)
        return AuditPage(items=[audit_event_out(e) for e in rows], next_before=next_before)
