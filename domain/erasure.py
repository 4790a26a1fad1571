"""What an erased account's personal data is replaced with (the right to erasure).

Rows are kept and only their personal fields replaced, so every foreign key still holds and
what the business must keep (orders, prices, statuses, times, ratings) is unchanged; the
KPIs computed from them are too. An erased account can never log in again: its password
hash is one no password matches and it is inactive.
"""

from __future__ import annotations

ERASED_NAME = "Erased user"
ERASED_TEXT = "[erased]"
ERASED_PLATE = "ERASED"
UNUSABLE_PASSWORD_HASH = "!erased"
"""Not an argon2 hash: verifying any password against it fails."""
COORDINATE_DECIMALS = 2
"""An erased order's place is kept to about a kilometre: enough for area reports, not a home."""


def erased_email(user_id: int) -> str:
    """Unique per account (the column is unique) and under a reserved domain."""
    return f"erased-{user_id}@erased.invalid"
