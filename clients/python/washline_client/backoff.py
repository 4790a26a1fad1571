"""Reconnect delays: exponential with jitter, so a fleet of clients that lost the same server
does not come back in one wave."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """`base * 2**attempt`, capped, each delay drawn from its upper half ("equal jitter")."""

    base: float = 0.5
    cap: float = 15.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2**self.attempt)
        self.attempt += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        """A connection held: the next failure starts from the shortest delay again."""
        self.attempt = 0

    def at_least(self, attempt: int) -> None:
        """Skip the short delays (the server asked us to back off)."""
        self.attempt = max(self.attempt, attempt)
