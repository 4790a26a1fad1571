"""Recording audited actions from the app: `record` adds an entry to the caller's session.

The request id and client address come from the request's context, bound once by
`app.logs.RequestIdMiddleware` (the address is the ASGI client, which the server takes from
`X-Forwarded-For` only behind a trusted proxy), so services deep in a call need not be
handed them. Outside a request (the CLI, workers) both are empty. The caller commits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.logs import current_request
from domain.audit import AuditAction, AuditTarget
from domain.roles import Actor
from persistence.audit import AuditOrigin, add_audit_event


def request_origin() -> AuditOrigin:
    """The current request's id and client address, as the request-id middleware bound them."""
    context = current_request()
    if context is None:
        return AuditOrigin(request_id=None, address=None)
    return AuditOrigin(request_id=context.request_id, address=context.client or None)


def record(
    session: AsyncSession,
    action: AuditAction,
    actor: Actor | None,
    target: tuple[AuditTarget, int | None] | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry for `action` by `actor` (None: nobody logged in) on `target`."""
    add_audit_event(
        session,
        action=action.value,
        now=datetime.now(UTC),
        origin=request_origin(),
        actor_id=actor.user_id if actor else None,
        actor_role=actor.role.value if actor else None,
        target_type=target[0].value if target else None,
        target_id=target[1] if target else None,
        before=before,
        after=after,
        detail=detail,
    )
