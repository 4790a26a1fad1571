"""Dispatch: offer each pending order to the nearest online, idle, non-stale washers.

A sweep runs at once after an order is committed in this process and every `interval` as a
fallback: it expires old offers, then offers every pending order that has no open offer to
the best candidates it has not offered yet (widening the radius when nobody is near; the
ranking is `domain.dispatch`). Sweeps of several processes take turns on an advisory lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.services.offers import create_offers, expire_offers
from domain.dispatch import DISPATCH_RADII_M, WasherCandidate, choose_offer_targets
from domain.geo import LatLng, haversine_m
from domain.offers import OPEN
from domain.orders import ACTIVE_STATUSES, OrderStatus
from persistence.models import DispatchOffer, Order, User, WasherProfile
from persistence.outbox import CommitSignal
from realtime.broker import BrokerUnavailable
from realtime.geo_index import GeoIndex

log = logging.getLogger(__name__)
DISPATCH_LOCK_KEY = 0x4449_5350  # "DISP"
SWEEP_BATCH = 50


class Dispatcher:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        geo: GeoIndex,
        *,
        uses_advisory_lock: bool,
        interval: float = 2.0,
    ) -> None:
        self._session_factory = session_factory
        self._geo = geo
        self._uses_advisory_lock = uses_advisory_lock
        self._interval = interval
        self._commits = CommitSignal()
        self._task: asyncio.Task[None] | None = None
        self.offers_made = 0

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
        while True:
            try:
                await self.sweep()
            except BrokerUnavailable:
                log.warning("dispatch waits for the geo index")
            except Exception:
                log.exception("dispatch sweep failed")
            await self._commits.wait(self._interval)

    async def sweep(self, now: datetime | None = None) -> int:
        """One pass; returns how many offers were made."""
        now = now or datetime.now(UTC)
        made = 0
        async with self._session_factory() as session, session.begin():
            if self._uses_advisory_lock:
                lock = select(func.pg_try_advisory_xact_lock(DISPATCH_LOCK_KEY))
                if not await session.scalar(lock):
                    return 0
            await expire_offers(session, now)
            waiting = await session.scalars(
                select(Order)
                .where(
                    Order.status == OrderStatus.PENDING.value,
                    ~exists().where(
                        DispatchOffer.order_id == Order.id, DispatchOffer.status == OPEN
                    ),
                )
                .order_by(Order.id)
                .limit(SWEEP_BATCH)
            )
            for order in list(waiting):
                made += await self._offer(session, order, now)
        self.offers_made += made
        return made

    async def _offer(self, session: AsyncSession, order: Order, now: datetime) -> int:
        center = LatLng(order.lat, order.lng)
        nearby = await self._geo.nearby(center, max(DISPATCH_RADII_M), limit=100)
        if not nearby:
            return 0
        ids = [n.washer_id for n in nearby]
        already = set(
            await session.scalars(
                select(DispatchOffer.washer_id).where(DispatchOffer.order_id == order.id)
            )
        )
        available = set(
            await session.scalars(
                select(WasherProfile.user_id)
                .join(User, User.id == WasherProfile.user_id)
                .where(
                    WasherProfile.user_id.in_(ids),
                    WasherProfile.is_available.is_(True),
                    User.is_active.is_(True),
                )
            )
        )
        busy = set(
            await session.scalars(
                select(Order.washer_id).where(
                    Order.washer_id.in_(ids),
                    Order.status.in_([s.value for s in ACTIVE_STATUSES]),
                )
            )
        )
        candidates = [
            WasherCandidate(
                washer_id=n.washer_id,
                position=n.fix.position,
                fix_at=n.fix.ts,
                online=n.washer_id in available,
                busy=n.washer_id in busy,
            )
            for n in nearby
            if n.washer_id not in already
        ]
        chosen = choose_offer_targets(center, candidates, now=now)
        if not chosen:
            return 0
        positions = {c.washer_id: c.position for c in candidates}
        targets = [(w, haversine_m(center, positions[w])) for w in chosen]
        await create_offers(session, order, targets, now)
        return len(targets)
