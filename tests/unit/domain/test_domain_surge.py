"""The surge rules: target from pressure, steps, caps, pins, hysteresis and the hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.surge import (
    BASE_PCT,
    SurgeRules,
    ZoneControl,
    ZoneSurge,
    apply_surge_cents,
    next_surge,
    pressure,
    target_pct,
)

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
RULES = SurgeRules(
    cap_pct=200, step_pct=10, threshold=1.0, slope_pct=50, hysteresis=0.5, min_hold_seconds=60
)
FREE = ZoneControl()


def step(
    current: ZoneSurge,
    demand: int,
    supply: int,
    at: float,
    control: ZoneControl = FREE,
    rules: SurgeRules = RULES,
) -> ZoneSurge:
    return next_surge(
        current, demand, supply, rules=rules, control=control, now=T0 + timedelta(seconds=at)
    )


def test_pressure_counts_no_supply_as_one_washer() -> None:
    assert pressure(3, 0) == 3.0
    assert pressure(3, 2) == 1.5
    assert pressure(0, 5) == 0.0


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (0.0, 100),
        (1.0, 100),
        (1.19, 100),
        (1.2, 110),
        (1.39, 110),
        (2.0, 150),
        (3.0, 200),
        (50.0, 200),
    ],
)
def test_target_grows_in_whole_steps_up_to_the_cap(ratio: float, expected: int) -> None:
    assert target_pct(ratio, RULES) == expected


def test_a_cap_between_steps_rounds_down_to_a_step() -> None:
    assert target_pct(100.0, SurgeRules(cap_pct=255)) == 250


def test_a_calm_zone_stays_at_base() -> None:
    assert step(ZoneSurge(), demand=1, supply=3, at=0) == ZoneSurge()


def test_a_spike_raises_at_once_when_nothing_holds() -> None:
    raised = step(ZoneSurge(), demand=4, supply=1, at=0)
    assert raised == ZoneSurge(200, T0)


def test_no_flap_on_the_edge_of_a_step() -> None:
    """Pressure wobbling around 1.2 (the 1.1x step) moves the multiplier once, not every time."""
    state = step(ZoneSurge(), demand=6, supply=5, at=0)  # 1.2 -> 1.1x
    assert state.multiplier_pct == 110
    changes = 0
    for i, demand in enumerate([5, 6, 5, 6, 5, 6, 5, 6] * 4):
        after = step(state, demand=demand, supply=5, at=5 * (i + 1))
        changes += after != state
        state = after
    assert changes == 0
    assert state.multiplier_pct == 110


def test_it_falls_only_once_pressure_is_clearly_lower() -> None:
    state = ZoneSurge(150, T0)  # set by pressure 2.0
    # 1.6 would call for 1.3x going up, but coming down it must clear the hysteresis band
    assert step(state, demand=8, supply=5, at=120).multiplier_pct == 150
    # 1.0 plus 0.5 of hysteresis calls for 1.2x: it falls there
    assert step(state, demand=5, supply=5, at=120).multiplier_pct == 120
    # no demand at all: back to base
    assert step(state, demand=0, supply=5, at=120).multiplier_pct == BASE_PCT


def test_the_hold_keeps_a_fresh_multiplier_both_ways() -> None:
    state = ZoneSurge(150, T0)
    assert step(state, demand=0, supply=5, at=59) == state
    assert step(state, demand=20, supply=1, at=59) == state
    assert step(state, demand=0, supply=5, at=60) == ZoneSurge(100, T0 + timedelta(seconds=60))


def test_an_admin_cap_bounds_the_multiplier() -> None:
    capped = ZoneControl(cap_pct=130)
    assert step(ZoneSurge(), demand=10, supply=1, at=0, control=capped).multiplier_pct == 130


def test_lowering_a_cap_applies_past_the_hold() -> None:
    state = ZoneSurge(200, T0)
    lowered = step(state, demand=10, supply=1, at=1, control=ZoneControl(cap_pct=120))
    assert lowered == ZoneSurge(120, T0 + timedelta(seconds=1))


def test_an_admin_cap_never_lifts_the_global_cap() -> None:
    assert step(ZoneSurge(), 50, 1, at=0, control=ZoneControl(cap_pct=400)).multiplier_pct == 200


def test_a_pin_is_exactly_the_multiplier_whatever_the_load() -> None:
    pin = ZoneControl(pin_pct=140, cap_pct=110)
    assert step(ZoneSurge(), demand=0, supply=9, at=0, control=pin).multiplier_pct == 140
    held = ZoneSurge(140, T0)
    assert step(held, demand=50, supply=0, at=1, control=pin) is held


def test_removing_a_pin_returns_to_the_rules_after_the_hold() -> None:
    pinned = ZoneSurge(180, T0)
    assert step(pinned, demand=0, supply=5, at=10).multiplier_pct == 180
    assert step(pinned, demand=0, supply=5, at=60).multiplier_pct == 100


def test_surge_price_is_integer_and_rounds_half_up() -> None:
    assert apply_surge_cents(2300, 100) == 2300
    assert apply_surge_cents(2300, 130) == 2990
    assert apply_surge_cents(1005, 110) == 1106  # 1105.5 -> 1106
    with pytest.raises(ValueError):
        apply_surge_cents(100, 90)


def test_rules_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        SurgeRules(cap_pct=90)
    with pytest.raises(ValueError):
        SurgeRules(step_pct=0)
