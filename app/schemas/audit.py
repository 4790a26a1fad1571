"""The audit trail as admins read it (`GET /api/admin/audit`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec


class AuditEventOut(msgspec.Struct):
    """One audit entry. Entries are never changed or deleted once written."""

    id: Annotated[int, msgspec.Meta(description="increases with every entry; the paging cursor")]
    occurred_at: datetime
    action: Annotated[str, msgspec.Meta(description="what was done, e.g. `auth.login_failed`")]
    actor_id: Annotated[int | None, msgspec.Meta(description="who did it; null: nobody logged in")]
    actor_role: Annotated[
        str | None, msgspec.Meta(description="the actor's role then; `system` for the platform")
    ]
    target_type: Annotated[
        str | None, msgspec.Meta(description="the kind of record acted on: user, package, order")
    ]
    target_id: int | None
    before: Annotated[
        dict[str, Any] | None, msgspec.Meta(description="an edit's changed fields, before it")
    ]
    after: Annotated[
        dict[str, Any] | None, msgspec.Meta(description="an edit's changed fields, after it")
    ]
    detail: Annotated[
        dict[str, Any] | None, msgspec.Meta(description="more about it, e.g. a failure's reason")
    ]
    request_id: Annotated[str | None, msgspec.Meta(description="the request's `X-Request-ID`")]
    address: Annotated[str | None, msgspec.Meta(description="the client's address")]


class AuditPage(msgspec.Struct):
    items: Annotated[list[AuditEventOut], msgspec.Meta(description="newest first")]
    next_before: Annotated[
        int | None,
        msgspec.Meta(description="pass as `before` for the next (older) page; null on the last"),
    ]
