"""The default simulated city is a steady state for hours; the scenarios surge and recover.

Checked on the pure model of the city's queue (`washline_simulator.model`), which advances a
simulated clock: two hours take a fraction of a second and no assertion depends on timing.
"""

from __future__ import annotations

import statistics

import pytest
from washline_simulator.config import SimConfig
from washline_simulator.geo import AUSTIN, Area
from washline_simulator.model import CityModel, ModelRun, run_model
from washline_simulator.scenario import (
    SCENARIOS,
    TARGET_UTILISATION,
    cycle_seconds,
    mean_trip_m,
    steady_orders_per_minute,
)

from app.demo import WASHERS as DEMO_WASHERS

AREA = Area(*AUSTIN)
TWO_HOURS = 2 * 3600
SLA_SECONDS = 300
RUN_WASHERS = SimConfig().washers + len(DEMO_WASHERS)
"""`washline run`: the simulator's washers and the demo's, which it drives too."""


def city(washers: int, scenario: str = "calm", rate: float | None = None) -> CityModel:
    config = SimConfig(washers=washers, scenario=scenario)
    steady = steady_orders_per_minute(
        washers, AREA.width_m, AREA.height_m, config.speed_mps, config.wash_seconds
    )
    return CityModel(
        washers=washers,
        orders_per_minute=steady if rate is None else rate,
        width_m=AREA.width_m,
        height_m=AREA.height_m,
        speed_mps=config.speed_mps,
        wash_seconds=config.wash_seconds,
        patience_seconds=config.patience_seconds,
        cancel_fraction=config.cancel_fraction,
        release_fraction=config.release_fraction,
        scenario=SCENARIOS[scenario],
    )


def test_the_steady_demand_is_washers_over_cycle_time_times_the_target() -> None:
    trip = (AREA.width_m + AREA.height_m) / 3
    assert mean_trip_m(AREA.width_m, AREA.height_m) == pytest.approx(trip)
    cycle = cycle_seconds(AREA.width_m, AREA.height_m, 14.0, 40.0)
    assert cycle == pytest.approx(4.0 + trip / 14.0 + 6.0 + 40.0)
    rate = steady_orders_per_minute(12, AREA.width_m, AREA.height_m, 14.0, 40.0)
    assert rate == pytest.approx(12 * 60 / cycle * TARGET_UTILISATION)
    assert 0.5 < rate < 1.5  # the first default asked 6 a minute of these 12 washers
    assert steady_orders_per_minute(24, AREA.width_m, AREA.height_m, 14.0, 40.0) == (
        pytest.approx(2 * rate)
    )
    assert steady_orders_per_minute(0, AREA.width_m, AREA.height_m, 14.0, 40.0) == 0.0


def assert_steady(run: ModelRun, washers: int) -> None:
    second_hour = run.pending[60:]
    assert max(run.pending) <= washers, run.pending  # never a queue as long as the city
    assert statistics.mean(second_hour) < 2, second_hour  # and no growth: it drains
    assert 0.35 <= statistics.mean(run.utilisation[10:]) <= 0.9, run.utilisation
    assert max(run.utilisation) > 0.6  # busy now and then, not a dead city
    assert run.breach_share(SLA_SECONDS) < 0.1  # a breach now and then at most
    assert run.completed > 80


@pytest.mark.parametrize("seed", range(1, 7))
@pytest.mark.parametrize("washers", [RUN_WASHERS, SimConfig().washers])
def test_the_default_city_is_a_steady_state_for_two_hours(washers: int, seed: int) -> None:
    assert_steady(run_model(city(washers), TWO_HOURS, seed=seed), washers)


def test_the_old_default_demand_grows_the_queue_without_bound() -> None:
    """The check above can fail: 6 bookings a minute for 12 washers never catches up; only
    customers giving up (after their patience) keep the queue from growing further."""
    run = run_model(city(12, rate=6.0), TWO_HOURS)
    assert statistics.mean(run.pending[60:]) > 2 * 12
    assert statistics.mean(run.utilisation[10:]) > 0.95
    assert run.gave_up > run.completed / 2


@pytest.mark.parametrize("scenario", ["rush-hour", "storm"])
def test_a_surge_builds_a_queue_that_drains_before_the_next(scenario: str) -> None:
    shape = SCENARIOS[scenario]
    surge = shape.surges[0]
    queues, after = [], []
    for seed in range(1, 9):
        run = run_model(city(RUN_WASHERS, scenario), TWO_HOURS, seed=seed)
        minutes = [int(m) for m in range(len(run.pending))]
        period = int(shape.period_s // 60)
        start, end = int(surge.start_s // 60), int(surge.end_s // 60)
        queues += [run.pending[m] for m in minutes if start < m % period <= end]
        after += [run.pending[m] for m in minutes if m % period >= period - 3]
        assert run.completed > 100
    assert max(queues) >= 3  # the surge is felt
    assert statistics.mean(after) < 1  # and the city is calm again before the next one


def test_scenarios_shape_demand_and_duty() -> None:
    calm, rush, storm = SCENARIOS["calm"], SCENARIOS["rush-hour"], SCENARIOS["storm"]
    assert {calm.demand_at(t) for t in range(0, 7200, 30)} == {1.0}
    assert rush.demand_at(60) == 1.0 and rush.demand_at(600) == 1.8
    assert rush.demand_at(2700 + 600) == 1.8 and rush.demand_at(1000) == 1.0
    assert rush.peak_demand == 1.8 and calm.peak_demand == 1.0
    on = [storm.on_duty(i, 12, 600) for i in range(1, 13)]
    assert on == [True] * 7 + [False] * 5  # a third offline (rounded up), the last ones
    assert storm.demand_at(600) == 1.4
    assert all(storm.on_duty(i, 12, 1000) for i in range(1, 13))  # and back
    assert all(rush.on_duty(i, 10, 600) for i in range(1, 11))
