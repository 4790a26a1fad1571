"""An idle simulated washer reports a fix on every beat (else the map shows it without a
signal), and a scenario sending it off duty stops its fixes and its availability until it
is wanted back."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any, cast

import pytest
from washline_simulator.api import Api
from washline_simulator.config import SimConfig
from washline_simulator.geo import AUSTIN, Area, Wander
from washline_simulator.report import Reporter
from washline_simulator.washer import WasherBot

from tests.support.polling import poll_until

AREA = Area(*AUSTIN)


class FakeLive:
    def __init__(self) -> None:
        self.fixes: list[dict[str, Any]] = []
        self.followed: list[tuple[str, str | None]] = []

    async def follow(self, channel: str, since: str | None = None) -> None:
        self.followed.append((channel, since))

    async def unfollow(self, channel: str) -> None:
        self.followed.remove(next(f for f in self.followed if f[0] == channel))

    async def send(self, op: str, **fields: Any) -> None:
        assert op == "location"
        self.fixes.append(fields)

    async def request(self, op: str, **fields: Any) -> None:
        await self.send(op, **fields)


async def until(condition: Callable[[], bool]) -> None:
    async def check() -> bool:
        await asyncio.sleep(0.005)
        return condition()

    assert await poll_until(check, bool, within=10.0, every=0.0), "never happened"


async def test_an_idle_washer_reports_each_beat_and_sits_out_off_duty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    duty = {"on": True}
    rng = random.Random(5)
    bot = WasherBot(
        1,
        SimConfig(fix_interval=0.01),
        cast(Api, None),
        rng,
        Reporter(),
        AREA,
        lambda: asyncio.sleep(0, None),
        on_duty=lambda: duty["on"],
    )
    live = FakeLive()
    availability: list[bool] = []

    async def set_available(available: bool) -> None:
        availability.append(available)

    async def no_offers() -> list[dict[str, Any]]:
        return []

    monkeypatch.setattr(bot, "_set_available", set_available)
    monkeypatch.setattr(bot, "_open_offers", no_offers)
    bot.live = live  # type: ignore[assignment]
    bot.position = AREA.center
    bot.wander = Wander(AREA.center, rng, AREA)
    idle = asyncio.create_task(bot._wait_for_work())
    try:
        await until(lambda: len(live.fixes) >= 10)  # one fix a beat, not one every other
        assert availability == []
        # an idle washer follows its zone's live price from the newest (surge.zone hotspots)
        assert [since for channel, since in live.followed if channel.startswith("zone:")] == ["0"]

        duty["on"] = False
        await until(lambda: availability == [False])
        silent_from = len(live.fixes)
        for _ in range(5):  # beats pass while off duty...
            bot.ticker.next = 0.0
            await asyncio.sleep(0.02)
        assert len(live.fixes) == silent_from  # ...without a fix: the map shows no signal

        duty["on"] = True
        await until(lambda: availability == [False, True] and len(live.fixes) > silent_from + 3)
    finally:
        idle.cancel()
        await asyncio.gather(idle, return_exceptions=True)


def test_an_idle_washer_drives_toward_the_hotspot_it_is_told_of() -> None:
    from domain.geo import LatLng
    from domain.zones import zone_of

    rng = random.Random(3)
    bot = WasherBot(
        1,
        SimConfig(fix_interval=0.01),
        cast(Api, None),
        rng,
        Reporter(),
        AREA,
        lambda: asyncio.sleep(0, None),
    )
    bot.position = AREA.center
    bot.wander = Wander(AREA.center, rng, AREA)
    far = zone_of(LatLng(AREA.center.lat + 0.04, AREA.center.lng), 7)
    assert far != zone_of(AREA.center, 7)
    bot._drift_toward({"zone": far, "summary": "high demand 4 km north"})
    assert bot._commute is not None
    trip, _ = bot._commute
    end = trip.at(10_000.0).position
    assert zone_of(end, 7) == far  # the trip ends in the busy zone
    bot._drift_toward({"zone": "nonsense"})  # already driving, and nonsense is ignored
    assert bot._commute[0] is trip
