"""Operations KPIs, kept current one order event at a time.

The dashboard asks for the same numbers every couple of seconds; recomputing them from the
tables each time would make the database pay for every open dashboard. Instead a
:class:`KpiBoard` is seeded once (from a :class:`KpiSeed` the caller loads) and then folds in
each order event as it happens; a snapshot only walks the open orders, which are few.

Pure: no clock, no I/O. Callers pass ``now`` and the start of the business day.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime, time, tzinfo

import msgspec

from domain.kpi_snapshot import KpiSnapshot, SlaCounts, TimeToAssign, TodayCounts, WasherCounts
from domain.orders import ACTIVE_STATUSES, OrderStatus

OPEN_STATUSES: tuple[OrderStatus, ...] = (
    OrderStatus.PENDING,
    OrderStatus.ASSIGNED,
    OrderStatus.EN_ROUTE,
    OrderStatus.ARRIVED,
    OrderStatus.IN_PROGRESS,
)
"""Statuses of orders the business still has to act on, in lifecycle order."""

NOT_YET_ARRIVED: frozenset[OrderStatus] = frozenset({OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE})


class SlaRules(msgspec.Struct, frozen=True):
    """Promises to customers. Both clocks start when the order is due: when it was booked,
    or its scheduled time if that is later (a booking for tomorrow is not waiting today)."""

    assign_seconds: int = 300
    arrival_seconds: int = 2700


class OrderChange(msgspec.Struct, frozen=True):
    """What the board needs from one order event (the ``data`` of ``order.*`` events)."""

    order_id: int
    seq: int
    status: OrderStatus
    occurred_at: datetime
    price_cents: int = 0
    washer_id: int | None = None
    from_status: OrderStatus | None = None
    created_at: datetime | None = None
    scheduled_for: datetime | None = None


class OpenOrder(msgspec.Struct):
    """An order not yet completed, cancelled or no-show, as the board tracks it."""

    order_id: int
    status: OrderStatus
    seq: int
    due_at: datetime
    created_at: datetime
    washer_id: int | None = None
    ever_assigned: bool = False
    eta_seconds: int | None = None


class DayTotals(msgspec.Struct):
    """Counters of the current business day."""

    completed: int = 0
    cancelled: int = 0
    no_show: int = 0
    revenue_cents: int = 0
    late_arrivals: int = 0


class KpiSeed(msgspec.Struct):
    """The board's starting point, loaded by the caller in one go: open orders, today's totals
    and today's assignment waits (seconds from booking to first assignment)."""

    open_orders: list[OpenOrder]
    today: DayTotals
    assign_waits: list[float]
    applied_seqs: dict[int, int] = {}
    """Newest event seq of orders that already moved today, open or not."""


def business_day_start(now: datetime, zone: tzinfo) -> datetime:
    """Midnight of ``now``'s day in the business's time zone, as an aware UTC datetime."""
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time.min, tzinfo=zone).astimezone(UTC)


def due_at(created_at: datetime, scheduled_for: datetime | None) -> datetime:
    """When an order starts waiting for a washer: booked now, or booked for later."""
    if scheduled_for is not None and scheduled_for > created_at:
        return scheduled_for
    return created_at


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of already sorted values (p90: ``fraction=0.9``)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


class KpiBoard:
    """The running KPIs of one business day.

    Events may arrive twice (delivery is at-least-once) or, across a seed, overlap what the
    seed already holds: each order's last applied ``seq`` makes applying idempotent.
    """

    def __init__(
        self, *, day_start: datetime, sla: SlaRules, zone: tzinfo = UTC, zone_name: str = "UTC"
    ) -> None:
        self.sla = sla
        self._zone = zone
        self._zone_name = zone_name
        self.day_start = day_start
        self._open: dict[int, OpenOrder] = {}
        self._applied_seq: dict[int, int] = {}
        self._today = DayTotals()
        self._assign_waits: list[float] = []
        self._etas: dict[int, int] = {}

    def seed(self, seed: KpiSeed) -> None:
        """Start over from a freshly loaded state (at start-up, or after the stream reset)."""
        self._open = {order.order_id: order for order in seed.open_orders}
        self._applied_seq = dict(seed.applied_seqs)
        for order in seed.open_orders:
            known = self._applied_seq.get(order.order_id, 0)
            self._applied_seq[order.order_id] = max(order.seq, known)
        self._today = msgspec.structs.replace(seed.today)
        self._assign_waits = sorted(seed.assign_waits)
        self._etas = {}

    def roll_over(self, day_start: datetime) -> bool:
        """Start a new business day's totals; open orders carry over. True if it rolled."""
        if day_start <= self.day_start:
            return False
        self.day_start = day_start
        self._today = DayTotals()
        self._assign_waits = []
        self._applied_seq = {
            order_id: self._applied_seq.get(order_id, order.seq)
            for order_id, order in self._open.items()
        }
        return True

    def apply(self, change: OrderChange) -> bool:
        """Fold in one order event; False when it was already applied."""
        if change.seq <= self._applied_seq.get(change.order_id, 0):
            return False
        self._applied_seq[change.order_id] = change.seq
        order = self._open.get(change.order_id)
        if change.status in OPEN_STATUSES:
            if order is None:
                created = change.created_at or change.occurred_at
                order = OpenOrder(
                    order_id=change.order_id,
                    status=change.status,
                    seq=change.seq,
                    due_at=due_at(created, change.scheduled_for),
                    created_at=created,
                    ever_assigned=change.from_status in ACTIVE_STATUSES,
                )
                self._open[change.order_id] = order
            self._on_transition(order, change)
            order.status, order.seq, order.washer_id = change.status, change.seq, change.washer_id
            if change.status not in NOT_YET_ARRIVED:
                self._etas.pop(change.order_id, None)
            return True
        self._open.pop(change.order_id, None)
        self._etas.pop(change.order_id, None)
        if change.occurred_at >= self.day_start:
            if change.status is OrderStatus.COMPLETED:
                self._today.completed += 1
                self._today.revenue_cents += change.price_cents
            elif change.status is OrderStatus.CANCELLED:
                self._today.cancelled += 1
            elif change.status is OrderStatus.NO_SHOW:
                self._today.no_show += 1
        return True

    def _on_transition(self, order: OpenOrder, change: OrderChange) -> None:
        if change.occurred_at < self.day_start:
            return
        if change.status is OrderStatus.ASSIGNED and not order.ever_assigned:
            order.ever_assigned = True
            wait = (change.occurred_at - order.created_at).total_seconds()
            bisect.insort(self._assign_waits, max(0.0, wait))
        if change.status is OrderStatus.ARRIVED and order.status in NOT_YET_ARRIVED:
            late = (change.occurred_at - order.due_at).total_seconds() > self.sla.arrival_seconds
            self._today.late_arrivals += int(late)

    def observe_eta(self, order_id: int, eta_seconds: int | None) -> None:
        """The newest ETA of an order still on its way (from the washer's position)."""
        order = self._open.get(order_id)
        if order is None or order.status not in NOT_YET_ARRIVED or eta_seconds is None:
            return
        self._etas[order_id] = eta_seconds

    def open_orders(self) -> Iterable[OpenOrder]:
        return self._open.values()

    def snapshot(
        self,
        now: datetime,
        *,
        washers_online: Collection[int],
        connections: Mapping[str, int],
    ) -> KpiSnapshot:
        by_status = {status.value: 0 for status in OPEN_STATUSES}
        busy: set[int] = set()
        longest_wait: float | None = None
        pending_too_long = late_arrival = 0
        for order in self._open.values():
            by_status[order.status.value] += 1
            waited = (now - order.due_at).total_seconds()
            if order.status is OrderStatus.PENDING:
                if waited >= 0:
                    longest_wait = waited if longest_wait is None else max(longest_wait, waited)
                pending_too_long += int(waited > self.sla.assign_seconds)
            elif order.washer_id is not None:
                busy.add(order.washer_id)
            if order.status in NOT_YET_ARRIVED:
                late_arrival += int(waited > self.sla.arrival_seconds)
        online = set(washers_online)
        busy_online = len(busy & online)
        waits = self._assign_waits
        return KpiSnapshot(
            generated_at=now,
            day=self.day_start.astimezone(self._zone).date(),
            timezone=self._zone_name,
            orders_by_status=by_status,
            active_orders=len(self._open),
            unassigned=by_status[OrderStatus.PENDING.value],
            longest_wait_seconds=None if longest_wait is None else int(longest_wait),
            washers=WasherCounts(
                online=len(online),
                idle=len(online) - busy_online,
                busy=busy_online,
                utilisation=round(busy_online / len(online), 4) if online else None,
            ),
            time_to_assign=TimeToAssign(
                count=len(waits),
                avg_seconds=round(sum(waits) / len(waits), 1) if waits else None,
                p90_seconds=percentile(waits, 0.9),
            ),
            avg_eta_seconds=(
                round(sum(self._etas.values()) / len(self._etas), 1) if self._etas else None
            ),
            sla=SlaCounts(
                pending_too_long=pending_too_long,
                late_arrival=late_arrival,
                breaches=pending_too_long + late_arrival,
                late_arrivals_today=self._today.late_arrivals,
                assign_threshold_seconds=self.sla.assign_seconds,
                arrival_threshold_seconds=self.sla.arrival_seconds,
            ),
            today=TodayCounts(
                completed=self._today.completed,
                cancelled=self._today.cancelled,
                no_show=self._today.no_show,
                revenue_cents=self._today.revenue_cents,
            ),
            connections=dict(connections),
        )
