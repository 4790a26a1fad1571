"""How much one client may take: login and share-route rates per address and account, live
connections per user and address, open orders per customer, and the idempotency lease."""

from __future__ import annotations

import dataclasses

from app.settings.parsing import (
    parse_non_negative_int,
    parse_positive_float,
    parse_positive_int,
    setting,
)


@dataclasses.dataclass(frozen=True)
class LimitSettings:
    """The per-client limits of `Settings`."""

    auth_rate_limit_per_minute: int = setting(
        "AUTH_RATE_LIMIT_PER_MINUTE",
        parse_positive_int,
        "20",
        "login and registration attempts allowed per client address per minute",
    )
    auth_account_rate_limit_per_minute: int = setting(
        "AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE",
        parse_positive_int,
        "10",
        "login attempts allowed per account (email) per minute, from all addresses together",
    )
    live_max_connections_per_user: int = setting(
        "LIVE_MAX_CONNECTIONS_PER_USER",
        parse_non_negative_int,
        "20",
        "WebSockets and SSE streams one user may hold per process (4009 / 429); 0 = no cap",
    )
    live_max_connections_per_address: int = setting(
        "LIVE_MAX_CONNECTIONS_PER_ADDRESS",
        parse_non_negative_int,
        "1000",
        "live connections one client address may hold per process (4009 / 429); 0 = no cap",
    )
    share_rate_limit_per_minute: int = setting(
        "SHARE_RATE_LIMIT_PER_MINUTE",
        parse_positive_int,
        "120",
        "requests per client address per minute to the public share routes (/api/share/*, "
        "/track/{token})",
    )
    share_max_streams_per_address: int = setting(
        "SHARE_MAX_STREAMS_PER_ADDRESS",
        parse_positive_int,
        "20",
        "open share-link event streams allowed per client address (in each process)",
    )
    max_open_orders_per_customer: int = setting(
        "MAX_OPEN_ORDERS_PER_CUSTOMER",
        parse_positive_int,
        "3",
        "a customer may have at most this many orders not yet completed, cancelled or no-show",
    )
    idempotency_lease_seconds: float = setting(
        "IDEMPOTENCY_LEASE_SECONDS",
        parse_positive_float,
        "30",
        "a request holding an Idempotency-Key this long without an outcome is taken to be "
        "abandoned (its process died), and a retry with the key runs",
    )
