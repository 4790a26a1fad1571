"""What the service says about itself: the log level, OpenTelemetry traces, and the
delivery probe that checks its stores."""

from __future__ import annotations

import dataclasses

from app.settings.parsing import parse_choice, parse_non_negative_float, setting


@dataclasses.dataclass(frozen=True)
class ObservabilitySettings:
    """The logging, tracing and probe settings of `Settings`."""

    log_level: str = setting(
        "LOG_LEVEL",
        parse_choice("DEBUG", "INFO", "WARNING", "ERROR"),
        "INFO",
        "minimum log level",
    )
    tracing: str = setting(
        "WASHLINE_TRACING",
        parse_choice("auto", "on", "off"),
        "auto",
        "OpenTelemetry traces; auto = on when OTEL_EXPORTER_OTLP_ENDPOINT or "
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; the exporter reads the standard OTEL_* "
        "variables (OTLP over HTTP)",
    )
    probe_interval_seconds: float = setting(
        "PROBE_INTERVAL_SECONDS",
        parse_non_negative_float,
        "5",
        "how often each process publishes a delivery probe and checks its stores; 0 = never",
    )
