"""When a wash may be booked for: a definite moment, from now to a bounded time ahead.

A time without a timezone names no moment (the customer's 9:00 is not the server's), and
a year-1 or year-9999 booking is a typo or a probe, never a plan: dispatch, the SLA
deadlines and the dashboard all sort by this time. The rule takes ``now`` from its caller.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_SCHEDULE_AHEAD = timedelta(days=30)
"""How far ahead a wash may be booked."""

SCHEDULE_GRACE = timedelta(minutes=5)
"""How far in the past a requested time may be: "now" as the client's clock saw it before
the request travelled (and clocks differ a little)."""

NEEDS_TIMEZONE = "schedule_needs_timezone"
IN_THE_PAST = "schedule_in_past"
TOO_FAR_AHEAD = "schedule_too_far_ahead"


class ScheduleRefused(Exception):
    """A refused ``scheduled_for``; ``code`` is stable and machine-readable.

    Codes: ``schedule_needs_timezone``, ``schedule_in_past``, ``schedule_too_far_ahead``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_schedule(scheduled_for: datetime, *, now: datetime) -> None:
    """Raise :class:`ScheduleRefused` unless ``scheduled_for`` is timezone-aware and within
    ``[now - SCHEDULE_GRACE, now + MAX_SCHEDULE_AHEAD]``. ``now`` must be timezone-aware."""
    if scheduled_for.tzinfo is None or scheduled_for.utcoffset() is None:
        raise ScheduleRefused(
            NEEDS_TIMEZONE, "scheduled_for must carry a timezone, e.g. 2030-05-04T09:30:00Z"
        )
    # Aware datetimes compare by the moment they name, whatever their offsets; no
    # arithmetic on `scheduled_for` itself, which can sit at the very end of the calendar.
    if scheduled_for < now - SCHEDULE_GRACE:
        raise ScheduleRefused(IN_THE_PAST, "scheduled_for is in the past")
    if scheduled_for > now + MAX_SCHEDULE_AHEAD:
        days = MAX_SCHEDULE_AHEAD.days
        raise ScheduleRefused(TOO_FAR_AHEAD, f"a wash can be booked at most {days} days ahead")
