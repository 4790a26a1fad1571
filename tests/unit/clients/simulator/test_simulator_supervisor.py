"""Starting the city's people evenly mixed, and starting a failed person again."""

from __future__ import annotations

import asyncio
import io
import random

import pytest
from washline_simulator.config import SimConfig
from washline_simulator.customer import CustomerBot
from washline_simulator.geo import AUSTIN, Area
from washline_simulator.person import Person
from washline_simulator.report import Reporter
from washline_simulator.supervisor import interleave, supervise
from washline_simulator.washer import WasherBot


def test_washers_and_customers_start_evenly_mixed() -> None:
    config, reporter, area = SimConfig(), Reporter(), Area(*AUSTIN)

    async def no_admin() -> None:
        return None

    washers = [
        WasherBot(i, config, None, random.Random(i), reporter, area, no_admin)  # type: ignore[arg-type]
        for i in range(1, 4)
    ]
    customers = [
        CustomerBot(i, config, None, random.Random(i), reporter)  # type: ignore[arg-type]
        for i in range(1, 7)
    ]
    order = [person.name for person in interleave(washers, customers)]
    assert order == [
        "washer 1", "customer 1", "customer 2", "washer 2", "customer 3", "customer 4",
        "washer 3", "customer 5", "customer 6",
    ]  # fmt: skip
    assert [p.name for p in interleave([], customers[:2])] == ["customer 1", "customer 2"]


class Flaky(Person):
    """Fails on its first run, then lives out its life."""

    kind = "flaky"

    def __init__(self) -> None:
        super().__init__(1, SimConfig(), None, random.Random(1), Reporter())  # type: ignore[arg-type]
        self.runs = 0
        self.hung_up = 0

    async def run(self) -> None:
        self.runs += 1
        if self.runs == 1:
            raise RuntimeError("refused")

    async def disconnect(self) -> None:
        self.hung_up += 1


async def test_a_failed_person_is_logged_hung_up_and_started_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", no_wait)
    out = io.StringIO()
    person = Flaky()
    await supervise(person, 0.5, random.Random(7), Reporter(out))
    assert (person.runs, person.hung_up) == (2, 1)
    assert waits[0] == 0.5
    assert 1.6 <= waits[1] <= 2.4
    assert "flaky 1 failed: refused; retrying in 2 s" in out.getvalue()
