"""Where the truth and the live fan-out live: PostgreSQL (or the embedded SQLite) and Redis
(or nothing: the in-process broker)."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from app.settings.parsing import parse_boolean, parse_positive_int, setting


def parse_database_url(value: str) -> str:
    scheme = urlsplit(value).scheme
    if scheme not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
        raise ValueError("expected a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")
    return value


def parse_redis_url(value: str) -> str:
    if value and urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
        raise ValueError("expected a redis://, rediss:// or unix:// URL, or empty for in-process")
    return value


@dataclasses.dataclass(frozen=True)
class DatabaseSettings:
    """The stores `Settings` connects to."""

    database_url: str = setting(
        "DATABASE_URL",
        parse_database_url,
        "sqlite+aiosqlite:///./washline.db",
        "SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db",
    )
    database_pool_size: int = setting(
        "DATABASE_POOL_SIZE",
        parse_positive_int,
        "20",
        "PostgreSQL connections per process, all opened once and kept (no overflow, no "
        "per-checkout ping); requests and background workers share them",
    )
    database_pool_open_at_start: bool = setting(
        "DATABASE_POOL_OPEN_AT_START",
        parse_boolean,
        "true",
        "`washline serve` opens every pooled PostgreSQL connection as it starts, "
        "so none is opened later in a request's time",
    )
    redis_url: str = setting(
        "REDIS_URL",
        parse_redis_url,
        "",
        "Redis URL for broker, history, presence, geo index and rate limits; empty = in-process",
    )

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)
