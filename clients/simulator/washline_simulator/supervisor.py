"""Starting the city's people and keeping them running.

Kept apart from the city's seeding and booking because it is the simulator's resilience
rule: people start evenly mixed (logins are rate-limited), and a person who fails is logged,
hung up and started again after a backoff, so one refused client never stops the city.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

from washline_simulator.customer import CustomerBot
from washline_simulator.person import Person
from washline_simulator.report import Reporter
from washline_simulator.washer import WasherBot


def interleave(washers: list[WasherBot], customers: list[CustomerBot]) -> list[Person]:
    """Both kinds in one start order, evenly mixed: logins are rate-limited, and a city
    whose customers all wait behind every washer stays dead for its first minutes."""
    keyed: list[tuple[float, int, Person]] = [
        (i / len(washers), 0, w) for i, w in enumerate(washers)
    ] + [(i / len(customers), 1, c) for i, c in enumerate(customers)]
    return [person for _, _, person in sorted(keyed, key=lambda item: item[:2])]


async def supervise(person: Person, delay: float, rng: random.Random, reporter: Reporter) -> None:
    """Run one person; after a failure, log it, hang up and start them again later."""
    await asyncio.sleep(delay)
    backoff = 2.0
    while True:
        started = time.monotonic()
        try:
            await person.run()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if time.monotonic() - started > 120:
                backoff = 2.0  # it worked for a while: this is a new problem
            wait = backoff * rng.uniform(0.8, 1.2)
            reporter.say(f"{person.name} failed: {exc}; retrying in {wait:.0f} s")
            with contextlib.suppress(Exception):
                await person.disconnect()
            await asyncio.sleep(wait)
            backoff = min(backoff * 2, 60.0)
