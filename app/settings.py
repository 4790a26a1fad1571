"""Settings read once from environment variables, with embedded defaults.

Every knob lives here so that the README, the Kubernetes ConfigMap and the tests can all
enumerate the same list (`Settings.env_names()`). A malformed value stops start-up with ONE
line naming the variable, because a stack trace from deep inside a driver is a poor way to
learn that a port number had a typo.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.production import production_refusal
from domain.geo import GEOFENCE_RADIUS_M, ServiceArea
from domain.surge import SurgeRules
from domain.zones import MAX_RESOLUTION, MIN_RESOLUTION

DEFAULT_JWT_SECRET = "washline-development-secret-change-me"
REQUIRED_IN_PRODUCTION = ("DATABASE_URL", "REDIS_URL", "JWT_SECRET", "MFA_ENCRYPTION_KEY")


class SettingsError(ValueError):
    """A setting is malformed; the message is one line that names the variable."""


def _database_url(value: str) -> str:
    scheme = urlsplit(value).scheme
    if scheme not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
        raise ValueError("expected a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")
    return value


def _redis_url(value: str) -> str:
    if value and urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
        raise ValueError("expected a redis://, rediss:// or unix:// URL, or empty for in-process")
    return value


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("expected a positive integer")
    return number


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("expected 0 or a positive integer")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError("expected a positive number")
    return number


def _non_negative_float(value: str) -> float:
    number = float(value)
    if number < 0:
        raise ValueError("expected a number >= 0")
    return number


def _zone_resolution(value: str) -> int:
    number = int(value)
    if not MIN_RESOLUTION <= number <= MAX_RESOLUTION:
        raise ValueError(f"expected an H3 resolution from {MIN_RESOLUTION} to {MAX_RESOLUTION}")
    return number


def _multiplier_pct(value: str) -> int:
    """A multiplier such as 2.5 as integer percent (250); at least 1.0."""
    pct = round(float(value) * 100)
    if pct < 100:
        raise ValueError("expected a multiplier of at least 1.0")
    return pct


def _step_pct(value: str) -> int:
    pct = round(float(value) * 100)
    if pct <= 0:
        raise ValueError("expected a positive step such as 0.1")
    return pct


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _networks(value: str) -> tuple[str, ...]:
    """IP addresses and CIDR networks, normalised; no wildcard, no host names."""
    try:
        return tuple(str(ipaddress.ip_network(part, strict=False)) for part in _csv(value))
    except ValueError:
        raise ValueError("expected comma-separated IP addresses or CIDR networks") from None


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value

    return parse


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone name such as UTC or America/Chicago") from None
    return value


def _currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError("expected an ISO 4217 currency code such as USD or EUR")
    return code


def _setting(env: str, parse: Callable[[str], Any], default: str, doc: str) -> Any:
    return dataclasses.field(
        default=parse(default), metadata={"env": env, "parse": parse, "doc": doc, "raw": default}
    )


@dataclasses.dataclass(frozen=True)
class Settings:
    """The application's configuration; build it with `Settings.from_env()`."""

    environment: str = _setting(
        "WASHLINE_ENV",
        _choice("development", "production", "test"),
        "development",
        "development, test or production; production refuses a weak JWT secret or "
        "MFA key, fast hashing and a missing DATABASE_URL, REDIS_URL, JWT_SECRET or "
        "MFA_ENCRYPTION_KEY",
    )
    database_url: str = _setting(
        "DATABASE_URL",
        _database_url,
        "sqlite+aiosqlite:///./washline.db",
        "SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db",
    )
    database_pool_size: int = _setting(
        "DATABASE_POOL_SIZE",
        _positive_int,
        "20",
        "PostgreSQL connections per process, all opened once and kept (no overflow, no "
        "per-checkout ping); requests and background workers share them",
    )
    redis_url: str = _setting(
        "REDIS_URL",
        _redis_url,
        "",
        "Redis URL for broker, history, presence, geo index and rate limits; empty = in-process",
    )
    jwt_secret: str = _setting(
        "JWT_SECRET",
        str,
        DEFAULT_JWT_SECRET,
        "HMAC secret signing access tokens",
    )
    mfa_encryption_key: str = _setting(
        "MFA_ENCRYPTION_KEY",
        str,
        "",
        "secret (at least 32 random bytes) encrypting authenticator secrets at rest; "
        "empty: derived from JWT_SECRET (not in production)",
    )
    access_token_ttl_seconds: int = _setting(
        "ACCESS_TOKEN_TTL_SECONDS",
        _positive_int,
        "900",
        "lifetime of an access JWT",
    )
    refresh_token_ttl_seconds: int = _setting(
        "REFRESH_TOKEN_TTL_SECONDS",
        _positive_int,
        "2592000",
        "lifetime of a refresh token",
    )
    cors_origins: tuple[str, ...] = _setting(
        "CORS_ORIGINS",
        _csv,
        "",
        "comma-separated origins allowed by CORS; empty = none",
    )
    log_level: str = _setting(
        "LOG_LEVEL",
        _choice("DEBUG", "INFO", "WARNING", "ERROR"),
        "INFO",
        "minimum log level",
    )
    auth_rate_limit_per_minute: int = _setting(
        "AUTH_RATE_LIMIT_PER_MINUTE",
        _positive_int,
        "20",
        "login and registration attempts allowed per client address per minute",
    )
    auth_account_rate_limit_per_minute: int = _setting(
        "AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE",
        _positive_int,
        "10",
        "login attempts allowed per account (email) per minute, from all addresses together",
    )
    trusted_proxies: tuple[str, ...] = _setting(
        "TRUSTED_PROXIES",
        _networks,
        "",
        "addresses or CIDRs of the proxies whose X-Forwarded-For is believed; empty = none",
    )
    password_hash_fast: bool = _setting(
        "PASSWORD_HASH_FAST",
        _boolean,
        "false",
        "cheaper argon2 parameters (tests and the simulator only; never in production)",
    )
    live_max_connections_per_user: int = _setting(
        "LIVE_MAX_CONNECTIONS_PER_USER",
        _non_negative_int,
        "20",
        "WebSockets and SSE streams one user may hold per process (4009 / 429); 0 = no cap",
    )
    live_max_connections_per_address: int = _setting(
        "LIVE_MAX_CONNECTIONS_PER_ADDRESS",
        _non_negative_int,
        "1000",
        "live connections one client address may hold per process (4009 / 429); 0 = no cap",
    )
    ws_allowed_origins: tuple[str, ...] = _setting(
        "WS_ALLOWED_ORIGINS",
        _csv,
        "",
        "comma-separated browser origins allowed to open /ws; empty = any",
    )
    ws_max_frame_bytes: int = _setting(
        "WS_MAX_FRAME_BYTES",
        _positive_int,
        "65536",
        "largest WebSocket frame accepted (1009)",
    )
    ws_max_subscriptions: int = _setting(
        "WS_MAX_SUBSCRIPTIONS",
        _positive_int,
        "100",
        "channels one WebSocket may subscribe to",
    )
    ws_ops_per_second: int = _setting(
        "WS_OPS_PER_SECOND",
        _positive_int,
        "50",
        "client ops per second per WebSocket",
    )
    ws_permessage_deflate: bool = _setting(
        "WS_PERMESSAGE_DEFLATE",
        _boolean,
        "false",
        "negotiate permessage-deflate when a client offers it (browsers always do); off: "
        "frames go uncompressed, each event is encoded once for every socket",
    )
    outbound_queue_size: int = _setting(
        "OUTBOUND_QUEUE_SIZE",
        _positive_int,
        "1024",
        "events buffered per connection",
    )
    heartbeat_seconds: float = _setting(
        "HEARTBEAT_SECONDS",
        _positive_float,
        "20",
        "WebSocket ping / SSE keep-alive interval",
    )
    history_size: int = _setting(
        "HISTORY_SIZE",
        _positive_int,
        "1000",
        "events kept per channel for resume",
    )
    history_ttl_seconds: int = _setting(
        "HISTORY_TTL_SECONDS",
        _positive_int,
        "86400",
        "how long an idle channel's history lives",
    )
    presence_ttl_seconds: int = _setting(
        "PRESENCE_TTL_SECONDS",
        _positive_int,
        "30",
        "presence expires this long after a process dies",
    )
    shutdown_grace_seconds: int = _setting(
        "SHUTDOWN_GRACE_SECONDS",
        _positive_int,
        "20",
        "uvicorn's graceful shutdown timeout",
    )
    idempotency_lease_seconds: float = _setting(
        "IDEMPOTENCY_LEASE_SECONDS",
        _positive_float,
        "30",
        "a request holding an Idempotency-Key this long without an outcome is taken to be "
        "abandoned (its process died), and a retry with the key runs",
    )
    http_header_timeout_seconds: float = _setting(
        "HTTP_HEADER_TIMEOUT_SECONDS",
        _positive_float,
        "10",
        "a connection that has not sent a request's headers within this is answered 408 and closed",
    )

    geofence_radius_m: float = _setting(
        "GEOFENCE_RADIUS_M",
        _positive_float,
        f"{GEOFENCE_RADIUS_M:g}",
        "a washer en route this close to the address is marked arrived by the system",
    )
    dispatch_interval_seconds: float = _setting(
        "DISPATCH_INTERVAL_SECONDS",
        _positive_float,
        "2",
        "how often dispatch expires offers and offers waiting orders (also woken on commit)",
    )
    drain_delay_seconds: float = _setting(
        "DRAIN_DELAY_SECONDS",
        _non_negative_float,
        "1",
        "after SIGTERM, how long /ready answers 503 before the server stops listening",
    )
    service_area: ServiceArea = _setting(  # noqa: RUF009 - a frozen (immutable) Struct
        "SERVICE_AREA",
        ServiceArea.parse,
        "30.21,-97.81,30.33,-97.67",
        "the served rectangle as south,west,north,east degrees; bookings outside are refused",
    )
    max_open_orders_per_customer: int = _setting(
        "MAX_OPEN_ORDERS_PER_CUSTOMER",
        _positive_int,
        "3",
        "a customer may have at most this many orders not yet completed, cancelled or no-show",
    )
    share_link_ttl_seconds: int = _setting(
        "SHARE_LINK_TTL_SECONDS",
        _positive_int,
        "14400",
        "a share link of an order works this long at most (it ends with the order anyway)",
    )
    share_rate_limit_per_minute: int = _setting(
        "SHARE_RATE_LIMIT_PER_MINUTE",
        _positive_int,
        "120",
        "requests per client address per minute to the public share routes (/api/share/*, "
        "/track/{token})",
    )
    share_max_streams_per_address: int = _setting(
        "SHARE_MAX_STREAMS_PER_ADDRESS",
        _positive_int,
        "20",
        "open share-link event streams allowed per client address (in each process)",
    )
    business_timezone: str = _setting(
        "BUSINESS_TIMEZONE",
        _time_zone,
        "UTC",
        'IANA time zone whose midnight starts the dashboard\'s "today" totals',
    )
    currency: str = _setting(
        "CURRENCY",
        _currency,
        "USD",
        "ISO 4217 code of the prices' currency (the dashboard formats money in it)",
    )
    kpi_tick_seconds: float = _setting(
        "KPI_TICK_SECONDS",
        _positive_float,
        "2",
        "how often each process sends its admin streams a kpi.tick",
    )
    sla_assign_seconds: int = _setting(
        "SLA_ASSIGN_SECONDS",
        _positive_int,
        "300",
        "an order waiting longer than this for a washer counts as an SLA breach",
    )
    sla_arrival_seconds: int = _setting(
        "SLA_ARRIVAL_SECONDS",
        _positive_int,
        "2700",
        "a washer not arrived this long after the order was due counts as an SLA breach",
    )
    admin_mfa_required: str = _setting(
        "ADMIN_MFA_REQUIRED",
        _choice("auto", "true", "false"),
        "auto",
        "admins must log in with a second factor to use admin routes; auto = in production",
    )
    retention_track_points_days: int = _setting(
        "RETENTION_TRACK_POINTS_DAYS",
        _non_negative_int,
        "30",
        "washers' recorded location points older than this are deleted; 0 = kept forever",
    )
    retention_chat_days: int = _setting(
        "RETENTION_CHAT_DAYS",
        _non_negative_int,
        "365",
        "chat message bodies older than this are blanked (the messages stay); 0 = forever",
    )
    retention_notifications_days: int = _setting(
        "RETENTION_NOTIFICATIONS_DAYS",
        _non_negative_int,
        "90",
        "notifications older than this are deleted; 0 = kept forever",
    )
    retention_interval_seconds: float = _setting(
        "RETENTION_INTERVAL_SECONDS",
        _positive_float,
        "3600",
        "how often the retention purge runs (one process at a time)",
    )
    probe_interval_seconds: float = _setting(
        "PROBE_INTERVAL_SECONDS",
        _non_negative_float,
        "5",
        "how often each process publishes a delivery probe and checks its stores; 0 = never",
    )
    tracing: str = _setting(
        "WASHLINE_TRACING",
        _choice("auto", "on", "off"),
        "auto",
        "OpenTelemetry traces; auto = on when OTEL_EXPORTER_OTLP_ENDPOINT or "
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; the exporter reads the standard OTEL_* "
        "variables (OTLP over HTTP)",
    )
    surge_zone_resolution: int = _setting(
        "SURGE_ZONE_RESOLUTION",
        _zone_resolution,
        "7",
        "H3 resolution of the demand zones (7: hexagons about 2.5 km across)",
    )
    surge_interval_seconds: float = _setting(
        "SURGE_INTERVAL_SECONDS",
        _positive_float,
        "5",
        "how often the zones' demand, supply and multipliers are computed (one process at a time)",
    )
    surge_demand_window_minutes: int = _setting(
        "SURGE_DEMAND_WINDOW_MINUTES",
        _positive_int,
        "10",
        "bookings this recent count as a zone's demand, besides the orders still waiting",
    )
    surge_cap: int = _setting(
        "SURGE_CAP",
        _multiplier_pct,
        "2.5",
        "the highest surge multiplier anywhere (an admin may cap a zone lower)",
    )
    surge_step: int = _setting(
        "SURGE_STEP",
        _step_pct,
        "0.1",
        "the surge multiplier moves in whole steps of this",
    )
    surge_min_hold_seconds: float = _setting(
        "SURGE_MIN_HOLD_SECONDS",
        _non_negative_float,
        "60",
        "a zone's multiplier holds at least this long after a change, so it does not flap",
    )
    quote_ttl_seconds: float = _setting(
        "QUOTE_TTL_SECONDS",
        _positive_float,
        "120",
        "how long a price quote holds for booking",
    )

    @property
    def surge_rules(self) -> SurgeRules:
        return SurgeRules(
            cap_pct=self.surge_cap,
            step_pct=self.surge_step,
            min_hold_seconds=self.surge_min_hold_seconds,
        )

    @classmethod
    def env_names(cls) -> tuple[str, ...]:
        """Every environment variable the application reads."""
        return tuple(field.metadata["env"] for field in dataclasses.fields(cls))

    @classmethod
    def documentation(cls) -> list[tuple[str, str, str]]:
        """(variable, default, meaning) of every setting: the README and `washline settings`."""
        return [
            (f.metadata["env"], f.metadata["raw"], f.metadata["doc"])
            for f in dataclasses.fields(cls)
        ]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Parse the environment; raise SettingsError naming the first bad variable."""
        source = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            name = field.metadata["env"]
            if name not in source:
                continue
            try:
                values[field.name] = field.metadata["parse"](source[name])
            except ValueError as exc:
                raise SettingsError(f"invalid {name}={source[name]!r}: {exc}") from None
        settings = cls(**values)
        if settings.environment == "production":
            refusal = production_refusal(
                source,
                required=REQUIRED_IN_PRODUCTION,
                jwt_secret=settings.jwt_secret,
                mfa_encryption_key=settings.mfa_encryption_key,
                development_secret=DEFAULT_JWT_SECRET,
                password_hash_fast=settings.password_hash_fast,
            )
            if refusal is not None:
                raise SettingsError(refusal)
        return settings

    @property
    def requires_admin_mfa(self) -> bool:
        if self.admin_mfa_required == "auto":
            return self.environment == "production"
        return self.admin_mfa_required == "true"

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)
