"""Event type names as they appear in the envelope's ``event`` field on every transport.

Clients switch on these strings, so they are part of the public API: add, never rename.
"""

from __future__ import annotations

from typing import Final

ORDER_CREATED: Final = "order.created"
ORDER_STATUS: Final = "order.status"
"""Any status change, including assignment (the data carries the washer)."""
ORDER_LOCATION: Final = "order.location"
"""The washer's position and ETA, on ``order:{id}:track``."""
CHAT_MESSAGE: Final = "chat.message"
CHAT_TYPING: Final = "chat.typing"
CHAT_READ: Final = "chat.read"
DISPATCH_OFFER: Final = "dispatch.offer"
DISPATCH_OFFER_WITHDRAWN: Final = "dispatch.offer_withdrawn"
NOTIFICATION: Final = "notification"
WASHER_POSITION: Final = "washer.position"
"""Coalesced washer positions on ``ops``."""
KPI_TICK: Final = "kpi.tick"
AUDIT_ENTRY: Final = "audit.entry"
"""An audit trail entry, on ``audit``, once the change it records is committed."""
SURGE_ZONE: Final = "surge.zone"
"""A zone's multiplier, demand and supply, on ``zone:{cell}`` (lossy, latest wins)."""
SURGE_ZONES: Final = "surge.zones"
"""Every active zone at once, coalesced once per computation, on ``ops``."""
PRESENCE: Final = "presence"

ALL_EVENT_TYPES: Final[frozenset[str]] = frozenset(
    {
        ORDER_CREATED,
        ORDER_STATUS,
        ORDER_LOCATION,
        CHAT_MESSAGE,
        CHAT_TYPING,
        CHAT_READ,
        DISPATCH_OFFER,
        DISPATCH_OFFER_WITHDRAWN,
        NOTIFICATION,
        WASHER_POSITION,
        KPI_TICK,
        AUDIT_ENTRY,
        SURGE_ZONE,
        SURGE_ZONES,
        PRESENCE,
    }
)

EPHEMERAL_EVENT_TYPES: Final[frozenset[str]] = frozenset({CHAT_TYPING})
"""Never stored in history: a typing indicator replayed later would be a lie."""
