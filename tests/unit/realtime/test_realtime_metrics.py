"""The asyncio task gauge counts the loop's live tasks when scraped from inside the loop."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

import realtime.metrics  # noqa: F401 - registers the gauge


def _scraped() -> float | None:
    return REGISTRY.get_sample_value("washline_realtime_asyncio_tasks")


async def test_the_task_gauge_follows_the_tasks_alive_in_the_loop() -> None:
    before = _scraped()
    assert before == len(asyncio.all_tasks())
    parked = [asyncio.create_task(asyncio.sleep(60)) for _ in range(3)]
    try:
        assert _scraped() == before + 3
    finally:
        for task in parked:
            task.cancel()
        await asyncio.gather(*parked, return_exceptions=True)


def test_outside_a_loop_the_gauge_reads_nan() -> None:
    value = _scraped()
    assert value is not None and value != value
