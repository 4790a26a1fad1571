"""The KPI board: folding order events in one at a time gives the numbers a full recount
of the same orders would give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.kpis import (
    DayTotals,
    KpiBoard,
    KpiSeed,
    OpenOrder,
    OrderChange,
    SlaRules,
    business_day_start,
    due_at,
    percentile,
)
from domain.orders import OrderStatus

DAY = datetime(2026, 11, 23, tzinfo=UTC)
NOON = DAY + timedelta(hours=12)
SLA = SlaRules(assign_seconds=300, arrival_seconds=1800)


def board() -> KpiBoard:
    return KpiBoard(day_start=DAY, sla=SLA)


class Orders:
    """Emits each order's events with the next seq, like the outbox would."""

    def __init__(self, target: KpiBoard) -> None:
        self.board = target
        self.seq: dict[int, int] = {}
        self.status: dict[int, OrderStatus] = {}
        self.created: dict[int, datetime] = {}

    def move(
        self,
        order_id: int,
        status: OrderStatus,
        at: datetime,
        *,
        washer_id: int | None = None,
        price_cents: int = 2500,
        scheduled_for: datetime | None = None,
    ) -> OrderChange:
        self.seq[order_id] = self.seq.get(order_id, 0) + 1
        self.created.setdefault(order_id, at)
        change = OrderChange(
            order_id=order_id,
            seq=self.seq[order_id],
            status=status,
            occurred_at=at,
            price_cents=price_cents,
            washer_id=washer_id,
            from_status=self.status.get(order_id),
            created_at=self.created[order_id],
            scheduled_for=scheduled_for,
        )
        self.status[order_id] = status
        assert self.board.apply(change)
        return change

    def walk(self, order_id: int, washer_id: int, start: datetime, *steps: OrderStatus) -> None:
        """Book at `start`, then one step a minute."""
        self.move(order_id, OrderStatus.PENDING, start)
        for minute, status in enumerate(steps, start=1):
            self.move(order_id, status, start + timedelta(minutes=minute), washer_id=washer_id)


def test_an_empty_board_reports_zeroes_and_no_averages() -> None:
    result = board().snapshot(NOON, washers_online=set(), connections={})
    assert result.active_orders == 0
    assert result.orders_by_status == {
        "pending": 0,
        "assigned": 0,
        "en_route": 0,
        "arrived": 0,
        "in_progress": 0,
    }
    assert result.longest_wait_seconds is None
    assert result.time_to_assign.avg_seconds is None
    assert result.time_to_assign.p90_seconds is None
    assert result.avg_eta_seconds is None
    assert result.washers.utilisation is None
    assert result.today.revenue_cents == 0
    assert result.day.isoformat() == "2026-11-23"


def test_orders_are_counted_by_their_current_status() -> None:
    target = board()
    orders = Orders(target)
    start = NOON - timedelta(hours=1)
    orders.walk(1, 10, start)
    orders.walk(2, 11, start, OrderStatus.ASSIGNED)
    orders.walk(3, 12, start, OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE)
    orders.walk(4, 13, start, OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE, OrderStatus.ARRIVED)
    orders.walk(
        5,
        14,
        start,
        OrderStatus.ASSIGNED,
        OrderStatus.EN_ROUTE,
        OrderStatus.ARRIVED,
        OrderStatus.IN_PROGRESS,
    )
    result = target.snapshot(NOON, washers_online=set(), connections={})
    assert result.orders_by_status == {
        "pending": 1,
        "assigned": 1,
        "en_route": 1,
        "arrived": 1,
        "in_progress": 1,
    }
    assert result.active_orders == 5
    assert result.unassigned == 1


def test_finished_orders_leave_the_board_and_count_in_todays_totals() -> None:
    target = board()
    orders = Orders(target)
    start = NOON - timedelta(hours=2)
    orders.move(1, OrderStatus.PENDING, start, price_cents=2000)
    orders.move(1, OrderStatus.ASSIGNED, start + timedelta(minutes=1), washer_id=7)
    orders.move(1, OrderStatus.COMPLETED, start + timedelta(minutes=50), price_cents=2000)
    orders.move(2, OrderStatus.PENDING, start, price_cents=3100)
    orders.move(2, OrderStatus.COMPLETED, start + timedelta(minutes=40), price_cents=3100)
    orders.move(3, OrderStatus.PENDING, start)
    orders.move(3, OrderStatus.CANCELLED, start + timedelta(minutes=2))
    orders.move(4, OrderStatus.PENDING, start)
    orders.move(4, OrderStatus.NO_SHOW, start + timedelta(minutes=30))
    result = target.snapshot(NOON, washers_online=set(), connections={})
    assert result.active_orders == 0
    assert (result.today.completed, result.today.revenue_cents) == (2, 5100)
    assert (result.today.cancelled, result.today.no_show) == (1, 1)


def test_events_from_before_the_business_day_do_not_count_today() -> None:
    target = board()
    orders = Orders(target)
    yesterday = DAY - timedelta(hours=2)
    orders.walk(1, 7, yesterday, OrderStatus.ASSIGNED)
    orders.move(1, OrderStatus.COMPLETED, yesterday + timedelta(minutes=30))
    result = target.snapshot(NOON, washers_online=set(), connections={})
    assert result.today.completed == 0
    assert result.time_to_assign.count == 0


def test_a_repeated_or_older_event_is_not_applied_twice() -> None:
    target = board()
    orders = Orders(target)
    orders.move(1, OrderStatus.PENDING, NOON - timedelta(minutes=5))
    done = orders.move(1, OrderStatus.COMPLETED, NOON - timedelta(minutes=1), price_cents=900)
    assert target.apply(done) is False
    first = OrderChange(
        order_id=1, seq=1, status=OrderStatus.PENDING, occurred_at=NOON - timedelta(minutes=5)
    )
    assert target.apply(first) is False
    result = target.snapshot(NOON, washers_online=set(), connections={})
    assert (result.today.completed, result.today.revenue_cents, result.active_orders) == (1, 900, 0)


def test_time_to_assign_counts_each_orders_first_assignment_only() -> None:
    target = board()
    orders = Orders(target)
    start = NOON - timedelta(hours=1)
    for order_id, wait_seconds in enumerate([10, 20, 30, 40, 50, 60, 70, 80, 90, 300], start=1):
        orders.move(order_id, OrderStatus.PENDING, start)
        orders.move(
            order_id, OrderStatus.ASSIGNED, start + timedelta(seconds=wait_seconds), washer_id=1
        )
    # order 1 is released and taken again later: still one wait of 10 s
    orders.move(1, OrderStatus.PENDING, start + timedelta(minutes=10))
    orders.move(1, OrderStatus.ASSIGNED, start + timedelta(minutes=20), washer_id=2)
    result = target.snapshot(NOON, washers_online=set(), connections={})
    assert result.time_to_assign.count == 10
    assert result.time_to_assign.avg_seconds == 75.0
    assert result.time_to_assign.p90_seconds == 90.0


def test_longest_wait_and_sla_breaches_are_measured_from_when_the_order_is_due() -> None:
    target = board()
    orders = Orders(target)
    orders.move(1, OrderStatus.PENDING, NOON - timedelta(minutes=10))  # 600 s: breach
    orders.move(2, OrderStatus.PENDING, NOON - timedelta(minutes=2))  # 120 s: fine
    orders.move(  # booked long ago for the afternoon: not waiting yet
        3,
        OrderStatus.PENDING,
        NOON - timedelta(hours=3),
        scheduled_for=NOON + timedelta(hours=3),
    )
    orders.walk(4, 9, NOON - timedelta(hours=1), OrderStatus.ASSIGNED)  # 1 h, not arrived: late
    orders.walk(5, 8, NOON - timedelta(minutes=20), OrderStatus.ASSIGNED)  # 20 min: fine
    result = target.snapshot(NOON, washers_online=set(), connections={})
    assert result.longest_wait_seconds == 600
    assert result.sla.pending_too_long == 1
    assert result.sla.late_arrival == 1
    assert result.sla.breaches == 2
    assert (result.sla.assign_threshold_seconds, result.sla.arrival_threshold_seconds) == (
        300,
        1800,
    )


def test_an_arrival_after_the_promise_counts_as_late_today() -> None:
    target = board()
    orders = Orders(target)
    start = NOON - timedelta(hours=2)
    orders.move(1, OrderStatus.PENDING, start)
    orders.move(1, OrderStatus.ASSIGNED, start + timedelta(minutes=5), washer_id=3)
    orders.move(1, OrderStatus.EN_ROUTE, start + timedelta(minutes=6), washer_id=3)
    orders.move(1, OrderStatus.ARRIVED, start + timedelta(minutes=45), washer_id=3)
    orders.move(2, OrderStatus.PENDING, start)
    orders.move(2, OrderStatus.ASSIGNED, start + timedelta(minutes=5), washer_id=4)
    orders.move(2, OrderStatus.ARRIVED, start + timedelta(minutes=15), washer_id=4)
    assert target.snapshot(NOON, washers_online=set(), connections={}).sla.late_arrivals_today == 1


def test_washers_with_an_open_job_are_busy_and_the_rest_online_are_idle() -> None:
    target = board()
    orders = Orders(target)
    start = NOON - timedelta(minutes=30)
    orders.walk(1, 21, start, OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE)
    orders.walk(2, 22, start, OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE, OrderStatus.ARRIVED)
    orders.walk(3, 23, start, OrderStatus.ASSIGNED)
    orders.move(3, OrderStatus.COMPLETED, start + timedelta(minutes=20), washer_id=23)
    orders.walk(4, 99, start, OrderStatus.ASSIGNED)  # busy but offline: not counted online
    result = target.snapshot(NOON, washers_online={21, 22, 23, 24}, connections={"ws": 4})
    assert (result.washers.online, result.washers.busy, result.washers.idle) == (4, 2, 2)
    assert result.washers.utilisation == 0.5
    assert result.connections == {"ws": 4}


def test_average_eta_is_over_orders_still_on_their_way() -> None:
    target = board()
    orders = Orders(target)
    start = NOON - timedelta(minutes=30)
    orders.walk(1, 1, start, OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE)
    orders.walk(2, 2, start, OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE)
    orders.walk(3, 3, start, OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE)
    target.observe_eta(1, 300)
    target.observe_eta(2, 600)
    target.observe_eta(3, 900)
    target.observe_eta(42, 5)  # unknown order: ignored
    assert target.snapshot(NOON, washers_online=set(), connections={}).avg_eta_seconds == 600.0
    orders.move(3, OrderStatus.ARRIVED, NOON, washer_id=3)
    target.observe_eta(3, 0)  # arrived: no longer on the way
    assert target.snapshot(NOON, washers_online=set(), connections={}).avg_eta_seconds == 450.0


def test_a_seed_then_the_same_events_again_changes_nothing() -> None:
    target = board()
    start = NOON - timedelta(hours=1)
    target.seed(
        KpiSeed(
            open_orders=[
                OpenOrder(
                    order_id=5,
                    status=OrderStatus.ASSIGNED,
                    seq=2,
                    due_at=start,
                    created_at=start,
                    washer_id=3,
                    ever_assigned=True,
                )
            ],
            today=DayTotals(completed=4, revenue_cents=10_000),
            assign_waits=[60.0],
            applied_seqs={6: 3},
        )
    )
    replayed = [
        OrderChange(order_id=5, seq=2, status=OrderStatus.ASSIGNED, occurred_at=start, washer_id=3),
        OrderChange(order_id=6, seq=3, status=OrderStatus.COMPLETED, occurred_at=start),
    ]
    assert [target.apply(change) for change in replayed] == [False, False]
    newer = OrderChange(order_id=5, seq=3, status=OrderStatus.EN_ROUTE, occurred_at=NOON)
    assert target.apply(newer) is True
    result = target.snapshot(NOON, washers_online=set(), connections={})
    assert result.orders_by_status["en_route"] == 1
    assert (result.today.completed, result.time_to_assign.count) == (4, 1)


def test_rolling_over_to_a_new_day_resets_totals_but_keeps_open_orders() -> None:
    target = board()
    orders = Orders(target)
    orders.move(1, OrderStatus.PENDING, NOON)
    orders.move(2, OrderStatus.PENDING, NOON)
    orders.move(2, OrderStatus.COMPLETED, NOON + timedelta(hours=1))
    tomorrow = DAY + timedelta(days=1)
    assert target.roll_over(tomorrow) is True
    assert target.roll_over(tomorrow) is False
    result = target.snapshot(tomorrow + timedelta(hours=1), washers_online=set(), connections={})
    assert result.today.completed == 0
    assert result.active_orders == 1
    assert result.day.isoformat() == "2026-11-24"


def test_the_business_day_starts_at_local_midnight() -> None:
    chicago = ZoneInfo("America/Chicago")
    start = business_day_start(datetime(2026, 11, 23, 3, 0, tzinfo=UTC), chicago)
    assert start == datetime(2026, 11, 22, 6, 0, tzinfo=UTC)  # 22 Nov 00:00 CST
    assert business_day_start(NOON, UTC) == DAY


def test_due_time_is_the_later_of_booking_and_schedule() -> None:
    assert due_at(NOON, None) == NOON
    assert due_at(NOON, NOON - timedelta(hours=1)) == NOON
    assert due_at(NOON, NOON + timedelta(hours=1)) == NOON + timedelta(hours=1)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [([], 0.9, None), ([5.0], 0.9, 5.0), ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0), ([1.0, 2.0], 0.9, 2.0)],
)
def test_percentile_is_nearest_rank(
    values: list[float], fraction: float, expected: float | None
) -> None:
    assert percentile(values, fraction) == expected
