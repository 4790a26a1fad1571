"""One short line per notable thing the city does, flushed at once.

The simulator usually runs as a child of `washline run`, its output interleaved with the
server's; flushing each line keeps the two in the order things happened.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import Counter
from typing import TextIO


class Reporter:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self.counts: Counter[str] = Counter()

    def count(self, what: str) -> None:
        """Tally a notable thing for the closing summary (e.g. "booked", "completed")."""
        self.counts[what] += 1

    def summary(self) -> str:
        if not self.counts:
            return "nothing happened"
        return ", ".join(f"{what} {n}" for what, n in sorted(self.counts.items()))

    def say(self, text: str) -> None:
        stream = self._stream or sys.stdout
        # A closed stdout (e.g. the parent went away) must not kill the city.
        with contextlib.suppress(OSError, ValueError):
            print(f"{time.strftime('%H:%M:%S')} sim: {text}", file=stream, flush=True)
