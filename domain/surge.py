"""Surge pricing: the multiplier of a demand zone, decided from its demand and supply.

Multipliers are integer percent (100 = 1.0x, 130 = 1.3x) so that a price never meets a float:
``apply_surge_cents`` rounds the half cent up, as ``domain.pricing`` does.

The rule, per zone and computation (``next_surge``):

- the *pressure* is demand over supply (supply counted as at least one washer, so a zone
  nobody serves surges with its demand instead of jumping to the cap at the first order);
- at or below ``threshold`` the zone costs the base price; above it the multiplier grows by
  ``slope_pct`` per unit of pressure, rounded down to a whole ``step_pct`` and capped;
- hysteresis: the multiplier rises to the target of the pressure, but falls only to the
  target of ``pressure + hysteresis`` (it must clearly calm down before it gets cheaper);
- hold: after a change it stays put for ``min_hold_seconds`` whatever happens, so a zone on
  the edge of a step does not flap at every computation;
- an admin may *cap* a zone (never above that) or *pin* it (exactly that, nothing else
  applies); lowering a cap takes effect at once, past the hold.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

BASE_PCT = 100
"""1.0x: no surge."""


class SurgeRules(msgspec.Struct, frozen=True):
    """How pressure becomes a multiplier (settings choose the numbers)."""

    cap_pct: int = 250
    step_pct: int = 10
    threshold: float = 1.0
    slope_pct: int = 50
    hysteresis: float = 0.5
    min_hold_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.cap_pct < BASE_PCT:
            raise ValueError("the surge cap cannot be below 1.0x")
        if self.step_pct <= 0 or self.slope_pct < 0:
            raise ValueError("surge step must be positive and slope not negative")
        if self.threshold < 0 or self.hysteresis < 0 or self.min_hold_seconds < 0:
            raise ValueError("surge threshold, hysteresis and hold cannot be negative")


class ZoneControl(msgspec.Struct, frozen=True):
    """An admin's say over one zone: a cap, a pin, or neither (``None``)."""

    cap_pct: int | None = None
    pin_pct: int | None = None


class ZoneSurge(msgspec.Struct, frozen=True):
    """A zone's multiplier and since when it holds."""

    multiplier_pct: int = BASE_PCT
    since: datetime | None = None
    """When the multiplier last changed (``None``: never, so nothing holds it)."""


def pressure(demand: int, supply: int) -> float:
    """Demand over supply, supply counted as at least one washer."""
    return max(demand, 0) / max(supply, 1)


def target_pct(ratio: float, rules: SurgeRules) -> int:
    """The multiplier a pressure calls for, in whole steps, between 1.0x and the cap."""
    excess = max(0.0, ratio - rules.threshold)
    raw = BASE_PCT + int(round(excess * rules.slope_pct, 6))  # 0.2 * 50 is 10, not 9.99
    stepped = BASE_PCT + (raw - BASE_PCT) // rules.step_pct * rules.step_pct
    return min(stepped, _round_down(rules.cap_pct, rules))


def _round_down(pct: int, rules: SurgeRules) -> int:
    return BASE_PCT + max(0, pct - BASE_PCT) // rules.step_pct * rules.step_pct


def effective_cap(rules: SurgeRules, control: ZoneControl) -> int:
    """The lower of the global cap and the zone's own."""
    cap = rules.cap_pct if control.cap_pct is None else min(rules.cap_pct, control.cap_pct)
    return max(BASE_PCT, cap)


def next_surge(
    current: ZoneSurge,
    demand: int,
    supply: int,
    *,
    rules: SurgeRules,
    control: ZoneControl,
    now: datetime,
) -> ZoneSurge:
    """The zone's multiplier after one computation (see the module docstring)."""
    if control.pin_pct is not None:
        pinned = max(BASE_PCT, control.pin_pct)
        return current if pinned == current.multiplier_pct else ZoneSurge(pinned, now)
    cap = effective_cap(rules, control)
    if current.multiplier_pct > cap:  # an admin lowered the cap: at once, past any hold
        return ZoneSurge(cap, now)
    ratio = pressure(demand, supply)
    up = min(target_pct(ratio, rules), cap)
    down = min(target_pct(ratio + rules.hysteresis, rules), cap)
    wanted = current.multiplier_pct
    if up > wanted:
        wanted = up
    elif down < wanted:
        wanted = down
    if wanted == current.multiplier_pct:
        return current
    if current.since is not None and (now - current.since).total_seconds() < rules.min_hold_seconds:
        return current
    return ZoneSurge(wanted, now)


def apply_surge_cents(price_cents: int, multiplier_pct: int) -> int:
    """A price times a multiplier, rounded half up to the cent, integers only."""
    if price_cents < 0 or multiplier_pct < BASE_PCT:
        raise ValueError("a price cannot be negative nor a multiplier below 1.0x")
    return (price_cents * multiplier_pct + 50) // 100


def as_factor(multiplier_pct: int) -> float:
    """The multiplier as clients read it (1.3 for 130)."""
    return round(multiplier_pct / 100, 2)
