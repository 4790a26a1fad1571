"""The REST benchmark's arithmetic and wire parsing: percentiles, the data set's shape, the
mix's draw, the HTTP/1.1 response reader and the per-phase summary."""

from __future__ import annotations

import asyncio
import random

import pytest

from bench.api import MIX, summarise
from bench.api_load import HttpError, read_response, weighted_schedule
from bench.api_seed import (
    CHAT_PER_ACTIVE_ORDER,
    NOTIFICATIONS_PER_CUSTOMER,
    ORDERS_PER_CUSTOMER,
    SeedShape,
)
from bench.common import percentile
from domain.orders import OrderStatus


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


def test_percentile_of_a_short_list_rounds_to_the_nearest_rank() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.9) == 4.0


def test_the_default_data_set_has_the_sizes_the_benchmark_promises() -> None:
    shape = SeedShape(customers=2000, washers=300)
    assert shape.orders == 10_000
    assert shape.pending() == 200
    assert shape.chat_messages() == 300 * CHAT_PER_ACTIVE_ORDER
    assert shape.notifications() == 2000 * NOTIFICATIONS_PER_CUSTOMER
    statuses = [s for c in range(2000) for s in shape.statuses(c)]
    assert len(statuses) == 2000 * ORDERS_PER_CUSTOMER
    assert statuses.count(OrderStatus.EN_ROUTE) == 300  # one active order per washer
    assert statuses.count(OrderStatus.PENDING) == shape.pending()


def test_event_history_counts_every_step_of_each_order() -> None:
    shape = SeedShape(customers=1, washers=1)
    # completed (6 steps) x2, cancelled (2), en route (3), pending (1)
    assert shape.events() == 6 + 6 + 2 + 3 + 1


def test_the_mix_is_drawn_with_its_weights_and_skips_zero_weights() -> None:
    draw = weighted_schedule({"a": 3, "b": 1, "c": 0}, 40_000, random.Random(7))
    assert len(draw) == 40_000
    assert "c" not in draw
    assert draw.count("a") / len(draw) == pytest.approx(0.75, abs=0.02)
    assert weighted_schedule(MIX, 100, random.Random(1)) == weighted_schedule(
        MIX, 100, random.Random(1)
    )


def _reader(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


async def test_a_response_with_a_length_is_read_and_keeps_the_connection() -> None:
    raw = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}"
    assert await read_response(_reader(raw + b"HTTP/1.1 ...")) == (200, b"{}", True)


async def test_a_chunked_response_is_joined_and_close_is_honoured() -> None:
    raw = (
        b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    assert await read_response(_reader(raw)) == (404, b"abcde", False)


async def test_no_content_has_no_body() -> None:
    assert await read_response(_reader(b"HTTP/1.1 204 No Content\r\n\r\n")) == (204, b"", True)


async def test_a_response_that_is_not_http_is_refused() -> None:
    with pytest.raises(HttpError):
        await read_response(_reader(b"SSH-2.0-OpenSSH\r\n\r\n"))


def test_summary_counts_http_and_transport_errors_and_divides_cpu_by_answers() -> None:
    loadgen = {
        "seconds": 2,
        "max_schedule_lag_ms": 1.0,
        "loadgen_cpu_s": 0.1,
        "connections_open": 3,
        "sent": 6,
        "routes": {
            "order_detail": {
                "latencies_ms": [4.0, 1.0, 3.0, 2.0],
                "statuses": {"200": 3, "404": 1},
                "errors": 2,  # the 404 and one timeout
                "error_samples": [],
                "skipped": 0,
            },
            "login": {
                "latencies_ms": [],
                "statuses": {},
                "errors": 0,
                "error_samples": [],
                "skipped": 0,
            },
        },
    }
    summary = summarise(loadgen, server_cpu_s=0.004, counters={"queries": 8, "xacts": 4})
    assert summary["requests"] == 4
    assert summary["errors"] == 2
    assert summary["server_cpu_us_per_request"] == 1000.0
    assert summary["queries_per_request"] == 2.0
    assert summary["transactions_per_request"] == 1.0
    detail = summary["routes"]["order_detail"]
    assert detail["requests"] == 5  # four answers and the timeout
    assert (detail["p50_ms"], detail["p99_ms"]) == (2.0, 4.0)
    assert "login" not in summary["routes"]  # never drawn
