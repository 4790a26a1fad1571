"""The probe's gap rule: a jump of k in one sender's sequence means k - 1 probes lost."""

from __future__ import annotations

from app.workers.probe import ProbeGaps


def test_a_first_probe_starts_a_sequence_and_a_jump_counts_what_is_missing() -> None:
    gaps = ProbeGaps()
    assert gaps.arrived("a", 7, now=0.0) == 0
    assert gaps.arrived("a", 8, now=1.0) == 0
    assert gaps.arrived("a", 11, now=2.0) == 2
    assert gaps.arrived("b", 1, now=2.0) == 0


def test_repeats_and_late_probes_count_nothing() -> None:
    gaps = ProbeGaps()
    gaps.arrived("a", 5, now=0.0)
    assert gaps.arrived("a", 5, now=1.0) == 0
    assert gaps.arrived("a", 3, now=1.0) == 0
    assert gaps.arrived("a", 6, now=1.0) == 0


def test_a_forgotten_sender_starts_again_without_a_gap() -> None:
    gaps = ProbeGaps()
    gaps.arrived("a", 1, now=0.0)
    gaps.arrived("b", 1, now=50.0)
    gaps.forget_older_than(10.0)
    assert gaps.arrived("a", 40, now=60.0) == 0
    assert gaps.arrived("b", 3, now=60.0) == 1
