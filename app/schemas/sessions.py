"""A user's sessions as they see them (`GET /api/me/sessions`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

SessionId = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[a-z0-9-]+$")]


class SessionOut(msgspec.Struct):
    """One login and the refreshes that continued it (a refresh-token family)."""

    id: Annotated[str, msgspec.Meta(description="revoke it with DELETE /api/me/sessions/{id}")]
    created_at: Annotated[datetime, msgspec.Meta(description="when the login happened")]
    last_used_at: Annotated[datetime, msgspec.Meta(description="its latest token refresh")]
    expires_at: Annotated[
        datetime, msgspec.Meta(description="it ends then unless refreshed before")
    ]
    user_agent: Annotated[str | None, msgspec.Meta(description="the device's User-Agent")]
    address: Annotated[str | None, msgspec.Meta(description="the address it was last used from")]
    current: Annotated[bool, msgspec.Meta(description="the session of the token asking")]


class RevokedOut(msgspec.Struct):
    revoked: Annotated[int, msgspec.Meta(description="how many sessions were ended")]
