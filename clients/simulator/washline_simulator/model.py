"""A pure model of the simulated city's queue: the same washers, demand, dispatch and
customers as `washline simulate`, without a server, advanced one simulated second at a time.

It exists so that "the default city is a steady state" can be checked over hours in a
fraction of a second: a live city needs real minutes for every simulated one, and timing
assertions against it would be flaky. What it keeps of the real city: Poisson bookings at
the scenario's rate, uniformly over the area; an order offered to the (up to) three nearest
idle washers, one of whom accepts after thinking; driving the street (L1) distance at the
configured speed; washing 0.8 to 1.2 x the wash time; washers handing an order back now and
then; customers cancelling early now and then, or when their patience runs out.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

from washline_simulator.scenario import DISPATCH_OVERHEAD_S, ON_SITE_OVERHEAD_S, SCENARIOS, Scenario

DISPATCH_TICK_S = 2
OFFER_FANOUT = 3
SAMPLE_EVERY_S = 60


@dataclass(frozen=True, slots=True)
class CityModel:
    washers: int
    orders_per_minute: float
    width_m: float
    height_m: float
    speed_mps: float = 14.0
    wash_seconds: float = 40.0
    patience_seconds: float = 420.0
    cancel_fraction: float = 0.08
    release_fraction: float = 0.04
    scenario: Scenario = SCENARIOS["calm"]


@dataclass(slots=True)
class _Order:
    x: float
    y: float
    booked_at: float
    give_up_at: float


@dataclass(slots=True)
class _Washer:
    index: int
    x: float
    y: float
    free_at: float = 0.0


@dataclass(slots=True)
class ModelRun:
    """What the run measured, sampled once a simulated minute."""

    pending: list[int] = field(default_factory=list)
    utilisation: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    """Seconds from booking to a washer accepting, per accepted order."""
    booked: int = 0
    completed: int = 0
    gave_up: int = 0

    def breach_share(self, sla_seconds: float) -> float:
        late = sum(1 for wait in self.waits if wait > sla_seconds) + self.gave_up
        return late / max(1, len(self.waits) + self.gave_up)


def run_model(model: CityModel, seconds: int, seed: int = 1) -> ModelRun:
    rng = random.Random(seed)
    washers = [
        _Washer(i, rng.uniform(0, model.width_m), rng.uniform(0, model.height_m))
        for i in range(1, model.washers + 1)
    ]
    pending: deque[_Order] = deque()
    busy_with: dict[int, _Order] = {}
    run = ModelRun()
    base_rate = model.orders_per_minute / 60.0
    for now in range(seconds):
        rate = base_rate * model.scenario.demand_at(now)
        for _ in range(_poisson(rng, rate)):
            pending.append(_book(model, rng, now))
            run.booked += 1
        for washer in washers:
            if washer.index in busy_with and washer.free_at <= now:
                order = busy_with.pop(washer.index)
                washer.x, washer.y = order.x, order.y
                run.completed += 1
        before = len(pending)
        pending = deque(o for o in pending if o.give_up_at > now)
        run.gave_up += before - len(pending)
        if now % DISPATCH_TICK_S == 0:
            _dispatch(model, rng, now, washers, pending, busy_with, run)
        if now % SAMPLE_EVERY_S == 0:
            on_duty = [w for w in washers if _on_duty(model, w, now) or w.index in busy_with]
            run.pending.append(len(pending))
            run.utilisation.append(len(busy_with) / max(1, len(on_duty)))
    return run


def _poisson(rng: random.Random, rate: float) -> int:
    """Arrivals in one second of a Poisson process of `rate` per second."""
    count, t = 0, rng.expovariate(rate) if rate > 0 else 2.0
    while t < 1.0:
        count += 1
        t += rng.expovariate(rate)
    return count


def _book(model: CityModel, rng: random.Random, now: float) -> _Order:
    if rng.random() < model.cancel_fraction:
        give_up = now + rng.uniform(3.0, 20.0)  # changed their mind (if still waiting)
    else:
        give_up = now + model.patience_seconds
    return _Order(rng.uniform(0, model.width_m), rng.uniform(0, model.height_m), now, give_up)


def _on_duty(model: CityModel, washer: _Washer, now: float) -> bool:
    return model.scenario.on_duty(washer.index, model.washers, now)


def _dispatch(
    model: CityModel,
    rng: random.Random,
    now: float,
    washers: list[_Washer],
    pending: deque[_Order],
    busy_with: dict[int, _Order],
    run: ModelRun,
) -> None:
    """Oldest order first, to one of its nearest idle washers; a washer handing the order
    back leaves it pending (it is offered again at the next tick)."""
    idle = [w for w in washers if w.index not in busy_with and _on_duty(model, w, now)]
    kept: deque[_Order] = deque()
    while pending:
        order = pending.popleft()
        if not idle:
            kept.append(order)
            continue
        idle.sort(key=lambda w: abs(w.x - order.x) + abs(w.y - order.y))
        washer = rng.choice(idle[:OFFER_FANOUT])
        if rng.random() < model.release_fraction:
            kept.append(order)  # accepted, then handed back: waits on
            continue
        idle.remove(washer)
        run.waits.append(now - order.booked_at + rng.uniform(0.3, 2.0))
        drive = (abs(washer.x - order.x) + abs(washer.y - order.y)) / model.speed_mps
        wash = model.wash_seconds * rng.uniform(0.8, 1.2)
        washer.free_at = now + DISPATCH_OVERHEAD_S + drive + ON_SITE_OVERHEAD_S + wash
        busy_with[washer.index] = order
    pending.extend(kept)
