"""An order's vocabulary: the status groupings, the no-show wait, one job per washer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import Conflict
from domain.orders import (
    ACTIVE_STATUSES,
    NO_SHOW_WAIT,
    TERMINAL_STATUSES,
    TRACKABLE_STATUSES,
    WASHER_BUSY,
    OrderStatus,
    WasherBusy,
    check_washer_free,
)


def test_status_sets() -> None:
    assert {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.NO_SHOW} == TERMINAL_STATUSES
    assert {"assigned", "en_route", "arrived", "in_progress"} == ACTIVE_STATUSES
    assert {"assigned", "en_route", "arrived"} == TRACKABLE_STATUSES
    assert timedelta(minutes=15) == NO_SHOW_WAIT


def test_a_washer_without_another_active_order_is_free() -> None:
    check_washer_free(20, 0)


def test_a_washer_with_another_active_order_is_busy() -> None:
    with pytest.raises(WasherBusy) as raised:
        check_washer_free(20, 1)
    assert isinstance(raised.value, Conflict)
    assert raised.value.code == WASHER_BUSY
