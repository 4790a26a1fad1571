"""The city: seeds everyone from one random seed, starts washers and customers a little
apart, books orders as a Poisson process, and shuts everything down cleanly.

Each person runs under a supervisor (`supervisor`) that logs a failure and starts them again
after a backoff, so a client the server refuses (or a server restart) never stops the city.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from collections.abc import Callable
from typing import Any

from washline_simulator import script
from washline_simulator.accounts import Session, washer_emails
from washline_simulator.api import Api, ApiError
from washline_simulator.config import DEMO_PASSWORD, SimConfig, demo_washer_email, washer_email
from washline_simulator.customer import Booking, CustomerBot
from washline_simulator.geo import AUSTIN, Area
from washline_simulator.report import Reporter
from washline_simulator.scenario import SCENARIOS, cycle_seconds, steady_orders_per_minute
from washline_simulator.supervisor import interleave, supervise
from washline_simulator.washer import WasherBot

SHUTDOWN_SECONDS = 8.0
"""Going off duty and hanging up may take this long in all; then the city just exits."""
ADMIN_RETRY_SECONDS = 60.0
BOOKING_MARGIN_M = 80.0
QUIET_SECONDS = 30.0
"""A repeated complaint (e.g. nobody idle to book) is logged at most this often."""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class City:
    def __init__(self, config: SimConfig, reporter: Reporter | None = None) -> None:
        self.config = config
        self.reporter = reporter or Reporter()
        master = random.Random(config.seed)
        self._washer_rngs = [random.Random(master.getrandbits(64)) for _ in range(config.washers)]
        self._customer_rngs = [
            random.Random(master.getrandbits(64)) for _ in range(config.customers)
        ]
        self._booking_rng = random.Random(master.getrandbits(64))
        self._backoff_rng = random.Random(master.getrandbits(64))
        self.washers: list[WasherBot] = []
        self.customers: list[CustomerBot] = []
        self._supervisors: list[asyncio.Task[None]] = []
        self._admin: Session | None = None
        self._admin_failed_at = -ADMIN_RETRY_SECONDS
        self._admin_lock = asyncio.Lock()
        self._api: Api | None = None
        self.scenario = SCENARIOS[config.scenario]
        self._started = time.monotonic()

    async def run(self) -> int:
        """Run until the duration is over or SIGINT/SIGTERM; always exits 0 (the city's
        own failures are logged and survived, not reported as the process's)."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        signals = (signal.SIGINT, signal.SIGTERM)
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        self._api = Api(
            self.config.base_url,
            max_in_flight=self.config.max_in_flight,
            on_rate_limited=self._rate_limited,
        )
        life = asyncio.create_task(self._live(self._api), name="sim-city")
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait(
                {life, stopped},
                timeout=self.config.duration or None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if life.done() and not life.cancelled() and life.exception() is not None:
                self.reporter.say(f"city failed: {life.exception()!r}")
            why = "interrupted" if stop.is_set() else "duration over"
            self.reporter.say(f"stopping ({why})")
        finally:
            for task in (life, stopped):
                task.cancel()
            await asyncio.gather(life, stopped, return_exceptions=True)
            await self._shutdown()
            await self._api.aclose()
            for sig in signals:
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
        self.reporter.say(f"stopped; {self.reporter.summary()}")
        return 0

    async def _live(self, api: Api) -> None:
        await self._wait_for_server(api)
        admin = await self.admin_session()
        area = self.config.area or await self._service_area()
        known: set[str] | None = None
        if admin is not None:
            try:
                known = await washer_emails(admin)
            except ApiError as exc:
                self.reporter.say(f"could not list washers: {exc}")
        self.washers = [
            WasherBot(
                i,
                self.config,
                api,
                rng,
                self.reporter,
                area,
                self.admin_session,
                account_exists=known is None or washer_email(i) in known,
            )
            for i, rng in enumerate(self._washer_rngs, start=1)
        ]
        self.washers += self._demo_washers(api, area, known)
        for washer in self.washers:
            washer.on_duty = self._duty_roster(washer.index)
        self.customers = [
            CustomerBot(i, self.config, api, rng, self.reporter)
            for i, rng in enumerate(self._customer_rngs, start=1)
        ]
        self.reporter.say(
            f"city of {_count(len(self.washers), 'washer')} and "
            f"{_count(len(self.customers), 'customer')} in "
            f"{area.south},{area.west},{area.north},{area.east} (seed {self.config.seed})"
        )
        self._started = time.monotonic()
        people = interleave(self.washers, self.customers)
        self._supervisors = [
            asyncio.create_task(
                supervise(person, i * self.config.start_stagger, self._backoff_rng, self.reporter)
            )
            for i, person in enumerate(people)
        ]
        await self._book_orders(area)

    def _demo_washers(self, api: Api, area: Area, known: set[str] | None) -> list[WasherBot]:
        """The demo data's washers that exist on the server, driven like the city's own (so
        the demo's orders assigned to them are worked, and none sits on the map silent)."""
        emails = [demo_washer_email(k) for k in range(1, self.config.demo_washers + 1)]
        present = [email for email in emails if known is not None and email in known]
        first = self.config.washers + 1
        return [
            WasherBot(
                index,
                self.config,
                api,
                random.Random(f"{self.config.seed}:{email}"),
                self.reporter,
                area,
                self.admin_session,
                login=(email, DEMO_PASSWORD),
            )
            for index, email in enumerate(present, start=first)
        ]

    def _duty_roster(self, index: int) -> Callable[[], bool]:
        def on_duty() -> bool:
            elapsed = time.monotonic() - self._started
            return self.scenario.on_duty(index, len(self.washers), elapsed)

        return on_duty

    def base_orders_per_minute(self, area: Area) -> float:
        """The calm-time demand: the flag's, else the steady demand for these washers."""
        if self.config.orders_per_minute is not None:
            return self.config.orders_per_minute
        return steady_orders_per_minute(
            len(self.washers),
            area.width_m,
            area.height_m,
            self.config.speed_mps,
            self.config.wash_seconds,
        )

    async def _wait_for_server(self, api: Api) -> None:
        complained = False
        while True:
            try:
                await api.health()
                return
            except ApiError as exc:
                if not complained:
                    self.reporter.say(f"waiting for the server at {self.config.base_url} ({exc})")
                    complained = True
            await asyncio.sleep(1.0)

    async def admin_session(self) -> Session | None:
        """The admin, logged in on first need; None (retried later) when refused."""
        async with self._admin_lock:
            if self._admin is not None or self._api is None:
                return self._admin
            if time.monotonic() - self._admin_failed_at < ADMIN_RETRY_SECONDS:
                return None
            admin = Session(self._api, self.config.admin_email, self.config.admin_password)
            try:
                await admin.login()
            except ApiError as exc:
                self._admin_failed_at = time.monotonic()
                self.reporter.say(f"admin login as {self.config.admin_email} failed: {exc}")
                return None
            if admin.role != "admin":
                self._admin_failed_at = time.monotonic()
                self.reporter.say(f"{self.config.admin_email} is not an admin")
                return None
            self._admin = admin
            return admin

    async def _service_area(self) -> Area:
        """The area the server serves (its dashboard's), else the Austin box."""
        admin = self._admin
        if admin is not None:
            try:
                dashboard = await admin.call("GET", "/api/admin/dashboard")
                return Area.from_mapping(dashboard["area"])
            except ApiError as exc:
                if exc.status != 404:
                    self.reporter.say(f"could not read the service area: {exc}")
            except (KeyError, TypeError, ValueError) as exc:
                self.reporter.say(f"the server's service area is unusable: {exc!r}")
        return Area(*AUSTIN)

    async def _book_orders(self, area: Area) -> None:
        """Bookings arrive as a Poisson process over the whole city at the calm rate times
        the scenario's demand now (drawn at the peak rate and thinned, which is exact for a
        rate that changes over time); each goes to a random idle customer (none idle: the
        booking is skipped)."""
        base = self.base_orders_per_minute(area)
        cycle = cycle_seconds(
            area.width_m, area.height_m, self.config.speed_mps, self.config.wash_seconds
        )
        self.reporter.say(
            f"scenario {self.scenario.name} ({self.scenario.description}); calm demand "
            f"{base:.2f} bookings a minute for {_count(len(self.washers), 'washer')} "
            f"(longest likely cycle {cycle / 60:.1f} min)"
        )
        peak = base * self.scenario.peak_demand / 60.0
        if peak <= 0 or not self.customers:
            await asyncio.Event().wait()  # nobody ever books: just keep the city running
        rng = self._booking_rng
        complained_at = -QUIET_SECONDS
        while True:
            await asyncio.sleep(rng.expovariate(peak))
            demand = self.scenario.demand_at(time.monotonic() - self._started)
            if rng.random() * self.scenario.peak_demand > demand:
                continue
            booking = Booking(
                area.random_point(rng, margin_m=BOOKING_MARGIN_M), script.street_address(rng)
            )
            idle = [c for c in self.customers if c.idle]
            if not idle:
                if time.monotonic() - complained_at >= QUIET_SECONDS:
                    complained_at = time.monotonic()
                    why = "busy" if any(c.ready for c in self.customers) else "not signed in yet"
                    self.reporter.say(f"every customer is {why}; skipping bookings for now")
                continue
            rng.choice(idle).request_booking(booking)

    async def _shutdown(self) -> None:
        for task in self._supervisors:
            task.cancel()
        await asyncio.gather(*self._supervisors, return_exceptions=True)
        people: list[Any] = [*self.washers, *self.customers]
        closing = [asyncio.create_task(person.close()) for person in people]
        if closing:
            _, late = await asyncio.wait(closing, timeout=SHUTDOWN_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*closing, return_exceptions=True)

    def _rate_limited(self, seconds: float) -> None:
        self.reporter.say(f"logins are rate-limited by the server; waiting {seconds:.0f} s")


def simulate(config: SimConfig) -> int:
    """Entry point of `washline simulate`: the process's exit status."""
    return asyncio.run(City(config).run())
