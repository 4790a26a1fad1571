"""SQLAlchemy 2 models: the durable truth of accounts, catalog, orders and their history.

Status and role columns hold the `domain` enums' string values; the rules about them live in
`domain`, never here. Every table is created by Alembic migrations only
(`washline db upgrade`); a test checks the migrated schema against these models.
"""

from persistence.models.accounts import EndedAccess, RecoveryCode, RefreshToken, TotpFactor, User
from persistence.models.catalog import ServicePackage, Vehicle, WasherProfile
from persistence.models.limits import (
    ADDRESS_MAX,
    AUDIT_ACTION_MAX,
    CHAT_BODY_MAX,
    COMMENT_MAX,
    EMAIL_MAX,
    IDEMPOTENCY_KEY_MAX,
    NAME_MAX,
    NOTES_MAX,
    QUOTE_TOKEN_MAX,
    USER_AGENT_MAX,
    ZONE_MAX,
)
from persistence.models.messages import ChatMessage, ChatRead, Notification
from persistence.models.orders import (
    DispatchOffer,
    Order,
    OrderEvent,
    OrderShare,
    Review,
    TrackPoint,
)
from persistence.models.pricing import PriceQuote, SurgeZone
from persistence.models.records import AuditEvent, IdempotencyKey, OutboxEvent

__all__ = [
    "ADDRESS_MAX",
    "AUDIT_ACTION_MAX",
    "CHAT_BODY_MAX",
    "COMMENT_MAX",
    "EMAIL_MAX",
    "IDEMPOTENCY_KEY_MAX",
    "NAME_MAX",
    "NOTES_MAX",
    "QUOTE_TOKEN_MAX",
    "USER_AGENT_MAX",
    "ZONE_MAX",
    "AuditEvent",
    "ChatMessage",
    "ChatRead",
    "DispatchOffer",
    "EndedAccess",
    "IdempotencyKey",
    "Notification",
    "Order",
    "OrderEvent",
    "OrderShare",
    "OutboxEvent",
    "PriceQuote",
    "RecoveryCode",
    "RefreshToken",
    "Review",
    "ServicePackage",
    "SurgeZone",
    "TotpFactor",
    "TrackPoint",
    "User",
    "Vehicle",
    "WasherProfile",
]
