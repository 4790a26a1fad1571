"""The live transports: WebSocket frame and op limits, compression, per-connection queues,
heartbeats, and how much channel history and presence Redis keeps."""

from __future__ import annotations

import dataclasses

from app.settings.parsing import (
    parse_boolean,
    parse_csv,
    parse_positive_float,
    parse_positive_int,
    setting,
)


@dataclasses.dataclass(frozen=True)
class LiveSettings:
    """The live-transport settings of `Settings`."""

    ws_allowed_origins: tuple[str, ...] = setting(
        "WS_ALLOWED_ORIGINS",
        parse_csv,
        "",
        "comma-separated browser origins allowed to open /ws; empty = any",
    )
    ws_max_frame_bytes: int = setting(
        "WS_MAX_FRAME_BYTES",
        parse_positive_int,
        "65536",
        "largest WebSocket frame accepted (1009)",
    )
    ws_max_subscriptions: int = setting(
        "WS_MAX_SUBSCRIPTIONS",
        parse_positive_int,
        "100",
        "channels one WebSocket may subscribe to",
    )
    ws_ops_per_second: int = setting(
        "WS_OPS_PER_SECOND",
        parse_positive_int,
        "50",
        "client ops per second per WebSocket",
    )
    ws_permessage_deflate: bool = setting(
        "WS_PERMESSAGE_DEFLATE",
        parse_boolean,
        "false",
        "negotiate permessage-deflate when a client offers it (browsers always do); off: "
        "frames go uncompressed, each event is encoded once for every socket",
    )
    outbound_queue_size: int = setting(
        "OUTBOUND_QUEUE_SIZE",
        parse_positive_int,
        "1024",
        "events buffered per connection",
    )
    heartbeat_seconds: float = setting(
        "HEARTBEAT_SECONDS",
        parse_positive_float,
        "20",
        "WebSocket ping / SSE keep-alive interval",
    )
    history_size: int = setting(
        "HISTORY_SIZE",
        parse_positive_int,
        "1000",
        "events kept per channel for resume",
    )
    history_ttl_seconds: int = setting(
        "HISTORY_TTL_SECONDS",
        parse_positive_int,
        "86400",
        "how long an idle channel's history lives",
    )
    presence_ttl_seconds: int = setting(
        "PRESENCE_TTL_SECONDS",
        parse_positive_int,
        "30",
        "presence expires this long after a process dies",
    )
