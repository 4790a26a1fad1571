"""The simulator's options: one immutable value built from the command line (or a test).

Limits are checked here, before anything connects, so a bad flag is one clear error instead
of a city of clients each failing the same way (e.g. a speed the server's fix validation
would refuse on every single location report).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from app.simulator.geo import Area

MAX_SPEED_MPS = 60.0
"""The server refuses fixes faster than 70 m/s; stay clear of it, jitter included."""
DEFAULT_ADMIN_EMAIL = "admin@washline.test"
DEFAULT_ADMIN_PASSWORD = "washline-admin"
SIM_PASSWORD = "washline-sim"
"""Password of every simulated washer and customer account."""


def washer_email(index: int) -> str:
    return f"sim-washer-{index}@washline.test"


def customer_email(index: int) -> str:
    return f"sim-customer-{index}@washline.test"


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Everything the city needs to know; behaviour knobs beyond the CLI flags keep their
    defaults here so tests can turn them (e.g. never cancel) without new flags."""

    base_url: str = "http://127.0.0.1:8000"
    washers: int = 12
    customers: int = 20
    seed: int = 1
    orders_per_minute: float = 6.0
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
    patience_seconds: float = 300.0
    """A customer whose order found no washer in this time cancels it."""
    max_in_flight: int = 8
    """HTTP requests the whole city may have in flight at once."""
    start_stagger: float = 0.25
    """Seconds between two clients starting, so they do not all log in at once."""

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError("base URL must start with http:// or https://")
        if self.washers < 0 or self.customers < 0:
            raise ValueError("washers and customers must not be negative")
        finite = (self.orders_per_minute, self.speed_mps, self.wash_seconds, self.duration)
        if not all(math.isfinite(v) for v in finite):
            raise ValueError("numbers must be finite")
        if self.orders_per_minute < 0:
            raise ValueError("orders per minute must not be negative")
        if not (0 < self.speed_mps <= MAX_SPEED_MPS):
            raise ValueError(f"speed must be above 0 and at most {MAX_SPEED_MPS:g} m/s")
        if self.wash_seconds < 0 or self.duration < 0:
            raise ValueError("wash seconds and duration must not be negative")
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
        help="bookings per minute over the whole city (Poisson)",
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
            speed_mps=args.speed_mps,
            wash_seconds=args.wash_seconds,
            duration=args.duration,
            admin_email=args.admin_email,
            admin_password=args.admin_password,
            area=args.area,
        )
    except ValueError as exc:
        parser.error(str(exc))
