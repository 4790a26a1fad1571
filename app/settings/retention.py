"""How long personal data is kept: location points, chat bodies, notifications, and how
often the purge runs."""

from __future__ import annotations

import dataclasses

from app.settings.parsing import parse_non_negative_int, parse_positive_float, setting


@dataclasses.dataclass(frozen=True)
class RetentionSettings:
    """The data-retention settings of `Settings`."""

    retention_track_points_days: int = setting(
        "RETENTION_TRACK_POINTS_DAYS",
        parse_non_negative_int,
        "30",
        "washers' recorded location points older than this are deleted; 0 = kept forever",
    )
    retention_chat_days: int = setting(
        "RETENTION_CHAT_DAYS",
        parse_non_negative_int,
        "365",
        "chat message bodies older than this are blanked (the messages stay); 0 = forever",
    )
    retention_notifications_days: int = setting(
        "RETENTION_NOTIFICATIONS_DAYS",
        parse_non_negative_int,
        "90",
        "notifications older than this are deleted; 0 = kept forever",
    )
    retention_interval_seconds: float = setting(
        "RETENTION_INTERVAL_SECONDS",
        parse_positive_float,
        "3600",
        "how often the retention purge runs (one process at a time)",
    )
