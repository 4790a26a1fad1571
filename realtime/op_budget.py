"""How many ops a live client may send: a token bucket with a clear line for abuse.

A client may burst, is refused politely once it runs dry, and is disconnected only when it
keeps sending far past its refusals (a bug loop or a flood, not a busy app).
"""

from __future__ import annotations

import time

OP_BURST_FACTOR = 2
"""A client may burst to this many seconds' worth of ops before being refused."""
ABUSE_FACTOR = 5
"""Refused ops beyond this many seconds' worth close the connection."""


class OpBudget:
    """Token bucket of ops per second: generous bursts, clear refusal, then disconnect."""

    __slots__ = ("capacity", "rate", "refused", "stamp", "tokens")

    def __init__(self, per_second: int) -> None:
        self.rate = float(per_second)
        self.capacity = float(per_second * OP_BURST_FACTOR)
        self.tokens = self.capacity
        self.refused = 0.0
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        elapsed, self.stamp = now - self.stamp, now
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.refused = max(0.0, self.refused - elapsed * self.rate)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.refused += 1
        return False

    @property
    def abusive(self) -> bool:
        return self.refused > self.rate * ABUSE_FACTOR
