"""The heartbeat on real stores: every beat publishes a probe that comes back and records
each store's availability; a Redis that is away is recorded as down without stopping the
beats, and a beat that fails outright does not end the loop either."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY

from app.lifecycle import Runtime
from app.settings import Settings
from app.workers.heartbeat import Heartbeat
from realtime.channel_traits import ChannelTraits
from realtime.memory_broker import MemoryBroker
from tests.support.api import test_settings as settings_for
from tests.support.polling import poll_until
from tests.support.services import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

INTERVAL = 0.05


def _up(dependency: str) -> float | None:
    return REGISTRY.get_sample_value("washline_dependency_up", {"dependency": dependency})


def _sent() -> float:
    return REGISTRY.get_sample_value("washline_probe_sent_total") or 0.0


@pytest.fixture
async def runtime(database_url: str, redis_url: str) -> AsyncIterator[Runtime]:
    started = Runtime(settings_for(database_url, redis_url=redis_url))
    await started.start()
    yield started
    await started.close()


async def _until(check: object) -> None:
    assert callable(check)
    await poll_until(lambda: asyncio.sleep(0, check()), bool, every=0.02)
    assert check()


async def test_beats_publish_probes_that_arrive_and_mark_the_stores_up(runtime: Runtime) -> None:
    heartbeat = Heartbeat(runtime, INTERVAL)
    sent_before = _sent()
    await heartbeat.start()
    try:
        await _until(lambda: heartbeat.probe.received >= 3)
        assert heartbeat.probe.lost == 0
        assert _sent() >= sent_before + 3
        assert (_up("database"), _up("redis")) == (1.0, 1.0)
    finally:
        await heartbeat.stop()
    await heartbeat.stop()  # a second stop is harmless


async def test_a_redis_that_is_away_is_recorded_down_and_the_beats_go_on(
    settings: Settings,
) -> None:
    away = Runtime(
        settings_for(settings.database_url, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    )
    await away.start()
    heartbeat = Heartbeat(away, INTERVAL)
    try:
        await heartbeat.start()
        await _until(lambda: _up("redis") == 0.0 and _up("database") == 1.0)
        # Probes that could not be published still use their numbers.
        await _until(lambda: heartbeat.probe._seq >= 3)
        assert heartbeat.probe.received == 0
    finally:
        await heartbeat.stop()
        await away.close()


async def test_a_failing_beat_does_not_end_the_loop(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(name: str) -> ChannelTraits:
        raise ValueError(f"no such channel: {name}")

    embedded = Runtime(settings)
    embedded.broker = MemoryBroker(classify=refuse)
    heartbeat = Heartbeat(embedded, INTERVAL)
    caplog.set_level(logging.ERROR, logger="app.workers.heartbeat")
    try:
        await heartbeat.start()
        await _until(lambda: sum("heartbeat failed" in r.getMessage() for r in caplog.records) >= 3)
    finally:
        await heartbeat.stop()
        await embedded.engine.dispose()


async def test_an_interval_of_zero_turns_the_heartbeat_off(settings: Settings) -> None:
    embedded = Runtime(settings)
    heartbeat = Heartbeat(embedded, 0)
    try:
        await heartbeat.start()
        assert heartbeat._task is None
        await heartbeat.stop()
    finally:
        await embedded.engine.dispose()
