"""Prices: the currency, surge zones and how their multipliers move, and how long a quote
holds."""

from __future__ import annotations

import dataclasses

from app.settings.parsing import (
    parse_non_negative_float,
    parse_positive_float,
    parse_positive_int,
    setting,
)
from domain.surge import SurgeRules
from domain.zones import MAX_RESOLUTION, MIN_RESOLUTION


def parse_currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError("expected an ISO 4217 currency code such as USD or EUR")
    return code


def parse_zone_resolution(value: str) -> int:
    number = int(value)
    if not MIN_RESOLUTION <= number <= MAX_RESOLUTION:
        raise ValueError(f"expected an H3 resolution from {MIN_RESOLUTION} to {MAX_RESOLUTION}")
    return number


def parse_multiplier_pct(value: str) -> int:
    """A multiplier such as 2.5 as integer percent (250); at least 1.0."""
    pct = round(float(value) * 100)
    if pct < 100:
        raise ValueError("expected a multiplier of at least 1.0")
    return pct


def parse_step_pct(value: str) -> int:
    pct = round(float(value) * 100)
    if pct <= 0:
        raise ValueError("expected a positive step such as 0.1")
    return pct


@dataclasses.dataclass(frozen=True)
class PricingSettings:
    """The pricing settings of `Settings`."""

    currency: str = setting(
        "CURRENCY",
        parse_currency,
        "USD",
        "ISO 4217 code of the prices' currency (the dashboard formats money in it)",
    )
    surge_zone_resolution: int = setting(
        "SURGE_ZONE_RESOLUTION",
        parse_zone_resolution,
        "7",
        "H3 resolution of the demand zones (7: hexagons about 2.5 km across)",
    )
    surge_interval_seconds: float = setting(
        "SURGE_INTERVAL_SECONDS",
        parse_positive_float,
        "5",
        "how often the zones' demand, supply and multipliers are computed (one process at a time)",
    )
    surge_demand_window_minutes: int = setting(
        "SURGE_DEMAND_WINDOW_MINUTES",
        parse_positive_int,
        "10",
        "bookings this recent count as a zone's demand, besides the orders still waiting",
    )
    surge_cap: int = setting(
        "SURGE_CAP",
        parse_multiplier_pct,
        "2.5",
        "the highest surge multiplier anywhere (an admin may cap a zone lower)",
    )
    surge_step: int = setting(
        "SURGE_STEP",
        parse_step_pct,
        "0.1",
        "the surge multiplier moves in whole steps of this",
    )
    surge_min_hold_seconds: float = setting(
        "SURGE_MIN_HOLD_SECONDS",
        parse_non_negative_float,
        "60",
        "a zone's multiplier holds at least this long after a change, so it does not flap",
    )
    quote_ttl_seconds: float = setting(
        "QUOTE_TTL_SECONDS",
        parse_positive_float,
        "120",
        "how long a price quote holds for booking",
    )

    @property
    def surge_rules(self) -> SurgeRules:
        return SurgeRules(
            cap_pct=self.surge_cap,
            step_pct=self.surge_step,
            min_hold_seconds=self.surge_min_hold_seconds,
        )
