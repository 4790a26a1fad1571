"""The op budget: a burst of `OP_BURST_FACTOR` seconds' worth, a refill at the rate, and
abuse only past `ABUSE_FACTOR` seconds' worth of refusals (which drain at the rate too).

The clock is the module's `time.monotonic`, replaced by a hand-moved one: these tests are
synchronous, so nothing else reads it meanwhile."""

from __future__ import annotations

import pytest

from realtime import op_budget
from realtime.op_budget import ABUSE_FACTOR, OP_BURST_FACTOR, OpBudget


class HandClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> HandClock:
    hand = HandClock()
    monkeypatch.setattr(op_budget.time, "monotonic", hand)
    return hand


def _takes(budget: OpBudget, count: int) -> list[bool]:
    return [budget.take() for _ in range(count)]


def test_a_fresh_budget_allows_a_burst_of_its_factor_in_seconds(clock: HandClock) -> None:
    budget = OpBudget(10)
    assert _takes(budget, 10 * OP_BURST_FACTOR) == [True] * (10 * OP_BURST_FACTOR)
    assert budget.take() is False
    assert budget.refused == 1


def test_tokens_come_back_at_the_rate(clock: HandClock) -> None:
    budget = OpBudget(10)
    _takes(budget, 10 * OP_BURST_FACTOR)
    clock.now += 0.5
    assert _takes(budget, 6) == [True] * 5 + [False]


def test_a_long_pause_refills_no_more_than_the_burst(clock: HandClock) -> None:
    budget = OpBudget(4)
    _takes(budget, 4 * OP_BURST_FACTOR)
    clock.now += 3600
    assert sum(_takes(budget, 100)) == 4 * OP_BURST_FACTOR


def test_a_client_turns_abusive_only_past_the_abuse_line(clock: HandClock) -> None:
    budget = OpBudget(2)
    _takes(budget, 2 * OP_BURST_FACTOR)
    _takes(budget, 2 * ABUSE_FACTOR)
    assert budget.refused == 2 * ABUSE_FACTOR
    assert not budget.abusive
    budget.take()
    assert budget.abusive


def test_refusals_are_forgiven_at_the_rate(clock: HandClock) -> None:
    budget = OpBudget(2)
    _takes(budget, 2 * OP_BURST_FACTOR + 2 * ABUSE_FACTOR + 1)
    assert budget.abusive
    clock.now += 1.0  # two refusals forgiven, two tokens back: the next two pass
    assert _takes(budget, 2) == [True, True]
    assert budget.refused == pytest.approx(2 * ABUSE_FACTOR + 1 - 2)
    assert not budget.abusive


def test_a_busy_client_within_its_rate_is_never_refused(clock: HandClock) -> None:
    budget = OpBudget(5)
    for _ in range(1000):
        clock.now += 0.2
        assert budget.take()
    assert budget.refused == 0
