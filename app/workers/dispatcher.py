"""Dispatch: offer each pending order to the nearest online, idle, non-stale washers.

A sweep runs shortly after a commit in this process that can change dispatch (an order
created, released or closed, a washer on duty: `persistence.outbox.DISPATCH`; the commits
of a `debounce` window make one sweep) and every `interval` as a fallback: it expires old
offers, reads which washers are idle (one statement: with nobody idle the sweep ends there),
then offers every pending order that has no open offer to the best idle washers near it
has not offered yet (widening the radius when nobody is near; the ranking is
`domain.dispatch`). Sweeps of several processes take turns on an advisory lock.

Fairness: a sweep pages through *every* waiting order, oldest first, not just the first
page, so orders nobody can serve (no washer within reach: one cheap geo query each) never
hide a serviceable one behind them. A sweep looks at no more than ``scan_limit`` orders; the
next sweep resumes after the last one looked at and wraps around, so under a huge backlog
every order still gets its turn within a few sweeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.services.offers import create_offers, expire_offers
from app.workers.outage import WorkerOutage
from domain.dispatch import DISPATCH_RADII_M, WasherCandidate, choose_offer_targets
from domain.geo import LatLng, haversine_m
from persistence.locks import take_turn
from persistence.models import Order
from persistence.offers import offered_washers_of
from persistence.orders import waiting_orders_page
from persistence.outbox import DISPATCH, CommitSignal
from persistence.washer_availability import idle_washers
from realtime.broker import BrokerUnavailable
from realtime.geo_index import GeoIndex

log = logging.getLogger(__name__)
DISPATCH_LOCK_KEY = 0x4449_5350  # "DISP"
SWEEP_BATCH = 50
"""Waiting orders read per query (one page)."""
CHOICE_BATCH = 10
"""Waiting orders whose candidates are read together (`Dispatcher._offer_batch`). Each
order's geo search answers up to a hundred washers, all handled in one turn of the event
loop: fifty orders at once stalled the process's requests for tens of milliseconds (their
p95 tripled under `bench.api`'s mix); ten keep each turn short and still make a tenth of
the reads that one order at a time made."""
SWEEP_SCAN_LIMIT = 1000
"""Waiting orders looked at per sweep at most; the next sweep carries on after them."""
DEBOUNCE_SECONDS = 0.2
"""After a dispatch commit, how long to gather more before sweeping: a sweep reads every
waiting order, and at hundreds of bookings and cancellations a second one sweep per commit
kept a core busy; a fifth of a second is nothing next to a washer's reaction time."""


class Dispatcher:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        geo: GeoIndex,
        *,
        uses_advisory_lock: bool,
        interval: float = 2.0,
        scan_limit: int = SWEEP_SCAN_LIMIT,
        debounce: float = DEBOUNCE_SECONDS,
    ) -> None:
        self._session_factory = session_factory
        self._geo = geo
        self._uses_advisory_lock = uses_advisory_lock
        self._interval = interval
        self._scan_limit = max(scan_limit, 1)
        self._resume_after = 0
        """Order id the last sweep stopped after when it ran out of budget (0: from the start)."""
        self._debounce = debounce
        self._commits = CommitSignal(DISPATCH)
        self._task: asyncio.Task[None] | None = None
        self.outage = WorkerOutage("dispatch", cap=max(5.0, interval))
        self.offers_made = 0

    @property
    def running(self) -> bool:
        """Whether the loop is alive (an outage must never end it)."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._commits.attach()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="dispatcher")

    async def stop(self) -> None:
        self._commits.detach()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        """Sweep until stopped; while the database is away, back off and keep trying."""
        while True:
            delay = self._interval
            try:
                await self.sweep()
                self.outage.succeeded()
            except BrokerUnavailable:
                log.warning("dispatch waits for the geo index")
            except Exception as exc:
                delay = max(delay, self.outage.failed(exc))
            if await self._commits.wait(delay) and self._debounce > 0:
                await asyncio.sleep(self._debounce)
                self._commits.clear()

    async def sweep(self, now: datetime | None = None) -> int:
        """One pass; returns how many offers were made."""
        now = now or datetime.now(UTC)
        made = 0
        async with self._session_factory() as session, session.begin():
            if self._uses_advisory_lock and not await take_turn(session, DISPATCH_LOCK_KEY):
                return 0
            await expire_offers(session, now)
            idle = await idle_washers(session)
            if idle:
                made = await self._offer_waiting(session, idle, now)
        self.offers_made += made
        return made

    async def _offer_waiting(self, session: AsyncSession, idle: set[int], now: datetime) -> int:
        """Offer waiting orders to the ``idle`` washers near them, page by page from where
        the last sweep stopped, wrapping around once, until every one was looked at or
        ``scan_limit`` is spent."""
        start = after = self._resume_after
        wrapped = start == 0
        made = scanned = 0
        while scanned < self._scan_limit:
            size = min(SWEEP_BATCH, self._scan_limit - scanned)
            up_to = start if wrapped and start else None
            page = await waiting_orders_page(session, after=after, up_to=up_to, limit=size)
            if not page:
                if wrapped:
                    break
                wrapped, after = True, 0
                continue
            for first in range(0, len(page), CHOICE_BATCH):
                batch = page[first : first + CHOICE_BATCH]
                made += await self._offer_batch(session, batch, idle, now)
            scanned += len(page)
            after = page[-1].id
        self._resume_after = after if scanned >= self._scan_limit else 0
        return made

    async def _offer_batch(
        self, session: AsyncSession, orders: Sequence[Order], idle: set[int], now: datetime
    ) -> int:
        """Offer a batch of waiting orders to the ``idle`` washers near them. What the choice
        needs is read for the batch at once (one geo lookup, then who was offered each order),
        not per order: a sweep reads every waiting order, and per order it was six round
        trips, most of them for orders that end up with nobody to offer. Offers made for one
        order change nothing another order of the batch reads (only who was offered *that*
        order), so the answers are the same."""
        centers = [LatLng(order.lat, order.lng) for order in orders]
        nearby_each = await self._geo.nearby_each(centers, max(DISPATCH_RADII_M), limit=100)
        reachable = [
            (order, center, idle_near)
            for order, center, nearby in zip(orders, centers, nearby_each, strict=True)
            if (idle_near := [n for n in nearby if n.washer_id in idle])
        ]
        if not reachable:
            return 0
        offered = await offered_washers_of(session, [order.id for order, _, _ in reachable])
        made = 0
        for order, center, idle_near in reachable:
            already = offered.get(order.id, set())
            candidates = [
                WasherCandidate(
                    washer_id=n.washer_id,
                    position=n.fix.position,
                    fix_at=n.fix.ts,
                    online=True,
                    busy=False,
                )
                for n in idle_near
                if n.washer_id not in already
            ]
            made += await self._offer(session, order, center, candidates, now)
        return made

    async def _offer(
        self,
        session: AsyncSession,
        order: Order,
        center: LatLng,
        candidates: list[WasherCandidate],
        now: datetime,
    ) -> int:
        chosen = choose_offer_targets(center, candidates, now=now)
        if not chosen:
            return 0
        positions = {c.washer_id: c.position for c in candidates}
        targets = [(w, haversine_m(center, positions[w])) for w in chosen]
        await create_offers(session, order, targets, now)
        return len(targets)
