"""The server around the app (`app.server`): how slow a client may be to send its headers,
and how a SIGTERM drains and then stops it."""

from __future__ import annotations

import dataclasses

from app.settings.parsing import (
    parse_non_negative_float,
    parse_positive_float,
    parse_positive_int,
    setting,
)


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    """The server settings of `Settings` (`app.server.uvicorn_config`)."""

    shutdown_grace_seconds: int = setting(
        "SHUTDOWN_GRACE_SECONDS",
        parse_positive_int,
        "20",
        "uvicorn's graceful shutdown timeout",
    )
    drain_delay_seconds: float = setting(
        "DRAIN_DELAY_SECONDS",
        parse_non_negative_float,
        "1",
        "after SIGTERM, how long /ready answers 503 before the server stops listening",
    )
    http_header_timeout_seconds: float = setting(
        "HTTP_HEADER_TIMEOUT_SECONDS",
        parse_positive_float,
        "10",
        "a connection that has not sent a request's headers within this is answered 408 and closed",
    )
