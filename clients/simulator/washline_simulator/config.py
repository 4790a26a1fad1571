"""The simulator's options: one immutable value built from the command line (or a test).

Limits are checked here, before anything connects, so a bad flag is one clear error instead
of a city of clients each failing the same way (e.g. a speed the server's fix validation
would refuse on every single location report).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from washline_simulator.geo import Area
from washline_simulator.scenario import DEFAULT_SCENARIO, SCENARIOS

MAX_SPEED_MPS = 60.0
"""The server refuses fixes faster than 70 m/s; stay clear of it, jitter included."""
DEFAULT_ADMIN_EMAIL = "admin@washline.test"
DEFAULT_ADMIN_PASSWORD = "washline-admin"
SIM_PASSWORD = "washline-sim"
"""Password of every simulated washer and customer account."""
DEMO_PASSWORD = "washline-demo"
"""Password of the demo data's accounts (`app.demo`), which the city can drive too."""


def washer_email(index: int) -> str:
    return f"sim-washer-{index}@washline.test"


def demo_washer_email(index: int) -> str:
    return f"washer{index}@washline.test"


def customer_email(index: int) -> str:
    return f"sim-customer-{index}@washline.test"


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Everything the city needs to know; behaviour knobs beyond the CLI flags keep their
    defaults here so tests can turn them (e.g. never cancel) without new flags."""

    base_url: str = "http://127.0.0.1:8000"
    washers: int = 12
    customers: int = 30
    """Enough that a rush hour never runs out of customers free to book."""
    seed: int = 1
    orders_per_minute: float | None = None
    """Bookings a minute in calm times; None: the steady demand for the washers on duty
    (`washline_simulator.scenario.steady_orders_per_minute`)."""
    scenario: str = DEFAULT_SCENARIO
    demo_washers: int = 0
    """Also drive the demo data's washers (`washer1..N@washline.test`), when they exist."""
    speed_mps: float = 14.0
    wash_seconds: float = 40.0
    duration: float = 0.0
    """Seconds to run; 0 runs until interrupted."""
    admin_email: str = DEFAULT_ADMIN_EMAIL
    admin_password: str = DEFAULT_ADMIN_PASSWORD
    area: Area | None = None
    """Overrides the server's service area (none: ask the server, else the Austin box)."""
    fix_interval: float = 1.0
    cancel_fraction: float = 0.08
    """Share of orders whose customer cancels while still waiting for a washer."""
    release_fraction: float = 0.04
    """Share of accepted orders a washer hands back to dispatch instead of driving."""
    chat_chance: float = 0.35
    """Chance a participant opens or answers a conversation at each opportunity."""
    patience_seconds: float = 420.0
    """A customer whose order found no washer in this time cancels it: longer than the
    300 s assignment SLA, so a late order shows as a breach before it is given up."""
    decline_above: float = 1.5
    """Customers are price-sensitive: at a quoted surge of this or more, some decline."""
    decline_share: float = 0.5
    """The share of customers who decline a quote at or above `decline_above`."""
    zone_resolution: int = 7
    """The server's `SURGE_ZONE_RESOLUTION`: idle washers follow their zone's live price and
    drive toward the high demand it points at."""
    max_in_flight: int = 8
    """HTTP requests the whole city may have in flight at once."""
    start_stagger: float = 0.25
    """Seconds between two clients starting, so they do not all log in at once."""

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError("base URL must start with http:// or https://")
        if self.washers < 0 or self.customers < 0:
            raise ValueError("washers and customers must not be negative")
        rate = self.orders_per_minute
        finite = (rate or 0.0, self.speed_mps, self.wash_seconds, self.duration)
        if not all(math.isfinite(v) for v in finite):
            raise ValueError("numbers must be finite")
        if rate is not None and rate < 0:
            raise ValueError("orders per minute must not be negative")
        if self.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r}")
        if self.demo_washers < 0:
            raise ValueError("demo washers must not be negative")
        if not (0 < self.speed_mps <= MAX_SPEED_MPS):
            raise ValueError(f"speed must be above 0 and at most {MAX_SPEED_MPS:g} m/s")
        if self.wash_seconds < 0 or self.duration < 0:
            raise ValueError("wash seconds and duration must not be negative")
        if not 0 <= self.decline_share <= 1 or self.decline_above < 1:
            raise ValueError("decline share must be within 0..1 and its threshold at least 1.0")
        if self.fix_interval <= 0 or self.max_in_flight < 1:
            raise ValueError("fix interval and max in flight must be positive")

    @property
    def ws_url(self) -> str:
        return "ws" + self.base_url.rstrip("/")[4:] + "/ws"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `washline simulate` flags (other commands and scripts rely on these names)."""
    default = SimConfig()
    parser.add_argument("--base-url", default=default.base_url, help="server to drive")
    parser.add_argument("--washers", type=int, default=default.washers, help="simulated washers")
    parser.add_argument(
        "--customers", type=int, default=default.customers, help="simulated customers"
    )
    parser.add_argument("--seed", type=int, default=default.seed, help="random seed")
    parser.add_argument(
        "--orders-per-minute",
        type=float,
        default=default.orders_per_minute,
        help="calm-time bookings per minute over the whole city (Poisson); default: the "
        "steady demand for the washers, area, speed and wash time",
    )
    add_scenario_argument(parser)
    parser.add_argument(
        "--demo-washers",
        type=int,
        default=default.demo_washers,
        help="also drive the demo washers washer1..N@washline.test (when they exist)",
    )
    parser.add_argument(
        "--speed-mps", type=float, default=default.speed_mps, help="driving speed in m/s"
    )
    parser.add_argument(
        "--wash-seconds",
        type=float,
        default=default.wash_seconds,
        help="how long a wash takes (with some jitter)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=default.duration,
        help="seconds to run; 0 = until interrupted",
    )
    parser.add_argument("--admin-email", default=default.admin_email)
    parser.add_argument("--admin-password", default=default.admin_password)
    parser.add_argument(
        "--area",
        type=_area,
        default=None,
        metavar="SOUTH,WEST,NORTH,EAST",
        help="service area override (default: the server's, else Austin)",
    )


def add_scenario_argument(parser: argparse.ArgumentParser) -> None:
    """`--scenario`, shared by `washline simulate` and `washline run`."""
    parser.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        default=DEFAULT_SCENARIO,
        help="; ".join(f"{s.name}: {s.description}" for s in SCENARIOS.values()).replace("%", "%%"),
    )


def _area(text: str) -> Area:
    try:
        return Area.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def from_namespace(args: argparse.Namespace, parser: argparse.ArgumentParser) -> SimConfig:
    """Build the config from parsed flags; an impossible combination exits like argparse."""
    try:
        return SimConfig(
            base_url=args.base_url,
            washers=args.washers,
            customers=args.customers,
            seed=args.seed,
            orders_per_minute=args.orders_per_minute,
            scenario=args.scenario,
            demo_washers=args.demo_washers,
            speed_mps=args.speed_mps,
            wash_seconds=args.wash_seconds,
            duration=args.duration,
            admin_email=args.admin_email,
            admin_password=args.admin_password,
            area=args.area,
        )
    except ValueError as exc:
        parser.error(str(exc))
