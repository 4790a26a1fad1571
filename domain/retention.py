"""How long personal data of each kind is kept, and what becomes of it after.

Location points and notifications are deleted; chat messages keep their row (an order's chat
sequence has no holes, so resume stays exact) and lose their body. A period of 0 days keeps
a kind forever. A price quote nobody booked with is deleted `UNUSED_QUOTE_DAYS` after it
expired (it promised nothing any more); a quote a booking used stays with its order.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

EXPIRED_CHAT_BODY = "[expired]"
UNUSED_QUOTE_DAYS = 1


class RetainedKind(StrEnum):
    TRACK_POINTS = "track_points"
    CHAT_BODIES = "chat_bodies"
    NOTIFICATIONS = "notifications"
    UNUSED_QUOTES = "unused_quotes"


class RetentionPolicy(msgspec.Struct, frozen=True):
    days: dict[RetainedKind, int]

    def cutoffs(self, now: datetime) -> dict[RetainedKind, datetime]:
        """For each kind kept for a limited time, the instant before which it is purged."""
        return {kind: now - timedelta(days=d) for kind, d in self.days.items() if d > 0}
