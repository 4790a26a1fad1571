"""How long personal data of each kind is kept, and what becomes of it after.

Location points and notifications are deleted; chat messages keep their row (an order's chat
sequence has no holes, so resume stays exact) and lose their body. A period of 0 days keeps
a kind forever. A price quote nobody booked with is deleted `UNUSED_QUOTE_DAYS` after it
expired (it promised nothing any more); a quote a booking used stays with its order. The end
of a session or account is kept only while a token it refuses could still be alive, plus a
day (`ended_access_days`): the audit trail is its history.
"""

from __future__ import annotations

import math
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
    ENDED_ACCESS = "ended_access"


def ended_access_days(token_lifetime_seconds: float) -> int:
    """Whole days an access end is kept: the longest an access token lives, and a day more."""
    return math.ceil(token_lifetime_seconds / 86_400) + 1


class RetentionPolicy(msgspec.Struct, frozen=True):
    days: dict[RetainedKind, int]

    def cutoffs(self, now: datetime) -> dict[RetainedKind, datetime]:
        """For each kind kept for a limited time, the instant before which it is purged."""
        return {kind: now - timedelta(days=d) for kind, d in self.days.items() if d > 0}
