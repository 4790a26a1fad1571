"""Reconnect delays grow, stay under the cap, are jittered, and start over once connected."""

from __future__ import annotations

import random

from washline_client import Backoff


def test_delays_grow_to_the_cap_with_jitter() -> None:
    backoff = Backoff(base=0.5, cap=8.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [min(8.0, 0.5 * 2**n) for n in range(8)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len({round(d, 6) for d in delays[5:]}) == 3  # capped, yet not one wave


def test_a_held_connection_starts_the_delays_over() -> None:
    backoff = Backoff(base=1.0, cap=30.0)
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 1.0
    backoff.at_least(4)
    assert backoff.next_delay() >= 8.0
