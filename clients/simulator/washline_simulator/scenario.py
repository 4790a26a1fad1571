"""What the simulated day looks like: a steady demand matched to the washers on duty, or a
pattern of surges on top of it (`--scenario`).

The steady demand is a small queueing estimate rather than a guess, so a city of any size
starts balanced. Each washer serves one order per cycle (offered it, driving to it,
arriving, washing), so the city can serve `washers / cycle` orders a second and is asked
for `TARGET_UTILISATION` of that. The drive is taken at its worst likely length, between
two random points of the area (the mean street distance, (width + height) / 3): when every
washer is busy, the next free one is anywhere, and a demand sized on the short drives of
an idle city tips into overload (every washer crossing the city, so none is ever free; the
first default, 6 bookings a minute for 12 washers, lived there). Dispatch offers the
nearest idle washers, so real drives are shorter and the utilisation measured lands
below the target, between about 40 and 85% (`washline_simulator.model` checks this over hours).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TARGET_UTILISATION = 0.85
"""The share of the city's worst-case capacity the steady demand asks for."""
DISPATCH_OVERHEAD_S = 4.0
"""From booking to accepted: the dispatch tick (2 s) and the washer's thinking (0.3 to 2 s)."""
ON_SITE_OVERHEAD_S = 6.0
"""From pulling up to washing: the geofence noticing, and a moment before starting."""


def mean_trip_m(width_m: float, height_m: float) -> float:
    """Mean street (L1) distance between two uniformly random points of a w x h box: the
    mean |x1 - x2| over [0, w] is w / 3, and likewise for the height."""
    return (width_m + height_m) / 3


def cycle_seconds(width_m: float, height_m: float, speed_mps: float, wash_seconds: float) -> float:
    """One washer's time per order: offered, driving, arriving, washing."""
    drive = mean_trip_m(width_m, height_m) / speed_mps
    return DISPATCH_OVERHEAD_S + drive + ON_SITE_OVERHEAD_S + wash_seconds


def steady_orders_per_minute(
    washers: int,
    width_m: float,
    height_m: float,
    speed_mps: float,
    wash_seconds: float,
    utilisation: float = TARGET_UTILISATION,
) -> float:
    """washers x (1 / cycle time) x target utilisation, per minute."""
    if washers <= 0:
        return 0.0
    return (
        washers * (60.0 / cycle_seconds(width_m, height_m, speed_mps, wash_seconds)) * utilisation
    )


@dataclass(frozen=True, slots=True)
class Surge:
    """A stretch of a scenario's period with more demand and maybe fewer washers."""

    start_s: float
    end_s: float
    demand: float
    """Bookings as a multiple of the steady demand."""
    offline: float = 0.0
    """Share of the washers off duty (they finish the order they are on first)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    period_s: float = 0.0
    """The surges repeat with this period, so a city left running sees them again."""
    surges: tuple[Surge, ...] = ()

    def _surge(self, elapsed_s: float) -> Surge | None:
        if self.period_s <= 0:
            return None
        at = elapsed_s % self.period_s
        return next((s for s in self.surges if s.start_s <= at < s.end_s), None)

    def demand_at(self, elapsed_s: float) -> float:
        """Multiple of the steady demand `elapsed_s` seconds into the run."""
        surge = self._surge(elapsed_s)
        return surge.demand if surge else 1.0

    @property
    def peak_demand(self) -> float:
        return max([1.0, *(s.demand for s in self.surges)])

    def on_duty(self, index: int, washers: int, elapsed_s: float) -> bool:
        """Whether washer `index` (1-based) is meant to be working: in a surge that takes
        washers offline, the highest-numbered ones go."""
        surge = self._surge(elapsed_s)
        if surge is None or surge.offline <= 0:
            return True
        return index <= washers - math.ceil(surge.offline * washers)


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("calm", "the steady state: demand matched to the washers, for hours"),
        Scenario(
            "rush-hour",
            "every 45 minutes, from minute 5 to 15, 1.8x the bookings; then calm again",
            period_s=2700.0,
            surges=(Surge(300.0, 900.0, demand=1.8),),
        ),
        Scenario(
            "storm",
            "every 45 minutes, from minute 5 to 15, 1.4x the bookings while a third of the "
            "washers go offline; then they come back and the queue drains",
            period_s=2700.0,
            surges=(Surge(300.0, 900.0, demand=1.4, offline=0.34),),
        ),
    )
}
DEFAULT_SCENARIO = "calm"
