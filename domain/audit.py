"""What the audit trail records: the actions an operator must be able to account for.

An audit entry says who did what to which record, and for an admin's edit what the record
looked like before and after. The list of actions lives here, once, so the writer, the
admin filter and the documentation agree on their spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class AuditAction(StrEnum):
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    REGISTER = "auth.register"
    TOKEN_REPLAY = "auth.token_replay"
    """A rotated refresh token came back: its whole family was revoked."""
    MFA_ENABLED = "mfa.enabled"
    MFA_DISABLED = "mfa.disabled"
    MFA_FAILED = "mfa.failed"
    """A wrong, expired or reused second factor at login."""
    PASSWORD_CHANGED = "auth.password_changed"
    """The user changed their password; `detail.sessions` lists the other sessions it ended."""
    SESSION_REVOKED = "session.revoked"
    """Sessions ended by their owner or an admin; `detail.sessions` lists them."""
    DATA_EXPORTED = "gdpr.exported"
    USER_ERASED = "gdpr.erased"
    USER_CREATED = "user.created"
    WASHER_UPDATED = "washer.updated"
    WASHER_DEACTIVATED = "washer.deactivated"
    PACKAGE_CREATED = "package.created"
    PACKAGE_UPDATED = "package.updated"
    PACKAGE_DELETED = "package.deleted"
    ORDER_ADMIN_TRANSITION = "order.admin_transition"
    """An admin moved an order: an assignment, a cancellation or any override."""


class AuditTarget(StrEnum):
    """The kind of record an entry is about."""

    USER = "user"
    PACKAGE = "package"
    ORDER = "order"
    SESSION = "session"


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ between two snapshots of a record, as (before, after).

    An edit's entry keeps only what changed, so the trail reads as the edit did and holds no
    more of a record than the edit touched.
    """
    keys = [key for key in after if before.get(key) != after[key]]
    keys += [key for key in before if key not in after]
    return (
        {key: before.get(key) for key in keys},
        {key: after.get(key) for key in keys},
    )
