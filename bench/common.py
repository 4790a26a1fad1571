"""Helpers shared by the benchmark's processes (orchestrator, load generator, publisher)."""

from __future__ import annotations

import json
import resource
import socket
import sys
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

LOCALHOST = "127.0.0.1"


def raise_nofile() -> int:
    """Raise this process's open-file soft limit to its hard limit; returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def emit(message: dict[str, Any]) -> None:
    """One JSON line on stdout: how child processes talk to the orchestrator."""
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def channel_name(template: str, index: int, base: int) -> str:
    """``user:{n}`` with n = base + index + 1; a template without ``{n}`` is one channel."""
    return template.format(n=base + index + 1) if "{n}" in template else template


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, int(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def latency_by_second(
    sent_at: list[float], latencies: list[float], start: float
) -> list[dict[str, Any]]:
    """Latency per second of the window, by when each message was sent: tells a start-up
    burst (the first second only) from periodic stalls (every few seconds) behind a p99."""
    buckets: dict[int, list[float]] = {}
    for sent, latency in zip(sent_at, latencies, strict=True):
        buckets.setdefault(int(sent - start), []).append(latency)
    rows = []
    for second in sorted(buckets):
        values = sorted(buckets[second])
        rows.append(
            {
                "second": second,
                "n": len(values),
                "p50_ms": round(percentile(values, 0.5) or 0, 1),
                "p99_ms": round(percentile(values, 0.99) or 0, 1),
                "max_ms": round(values[-1], 1),
            }
        )
    return rows


class StatementCounter:
    """The SQL statements an engine sends, counted from the last `reset` (the in-process
    benchmarks' statements per call)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1

    def reset(self) -> None:
        self.count = 0
