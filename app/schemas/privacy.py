"""A user's data: the export document and the erasure request."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

Rows = list[dict[str, Any]]


class DataExport(msgspec.Struct):
    """Everything held about one user; each list holds whole rows (secrets left out)."""

    generated_at: datetime
    user: dict[str, Any]
    washer_profile: dict[str, Any] | None
    second_factor_enabled: bool
    vehicles: Rows
    orders: Annotated[Rows, msgspec.Meta(description="booked by the user or washed by them")]
    order_events: Annotated[Rows, msgspec.Meta(description="the history of those orders")]
    chat_messages: Annotated[Rows, msgspec.Meta(description="messages the user wrote")]
    reviews: Annotated[Rows, msgspec.Meta(description="written by the user or about them")]
    notifications: Rows
    sessions: Annotated[Rows, msgspec.Meta(description="refresh tokens, one family a session")]
    track_points: Annotated[Rows, msgspec.Meta(description="location fixes (washers)")]
    audit_events: Annotated[Rows, msgspec.Meta(description="done by the user or to them")]
    chat_reads: Annotated[Rows, msgspec.Meta(description="how far the user read each chat")]
    dispatch_offers: Annotated[Rows, msgspec.Meta(description="orders offered (washers)")]
    idempotency_keys: Annotated[Rows, msgspec.Meta(description="retried requests' answers")]
    second_factor: Annotated[Rows, msgspec.Meta(description="the authenticator (no secret)")]
    recovery_codes: Annotated[Rows, msgspec.Meta(description="when each was used (no code)")]
    share_links: Annotated[Rows, msgspec.Meta(description="orders' share links (no token)")]
    price_quotes: Annotated[Rows, msgspec.Meta(description="prices quoted to the user")]
    ended_access: Annotated[
        Rows, msgspec.Meta(description="when the user's sessions, or all their access, ended")
    ]


class EraseIn(msgspec.Struct, forbid_unknown_fields=True):
    password: Annotated[
        str,
        msgspec.Meta(min_length=1, max_length=128, description="the account's password"),
    ]


class ErasureOut(msgspec.Struct):
    user_id: int
    erased_at: datetime


class AdminEraseIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=500,
            pattern=r"^[^\x00]*$",
            description="why (e.g. the request's reference); kept in the audit trail",
        ),
    ]
