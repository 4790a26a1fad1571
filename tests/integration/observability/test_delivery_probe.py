"""The delivery probe across two processes sharing one Redis: each times the other's probes
(and its own), and a probe that never arrives is counted as lost at the next one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY

from app.workers.probe import PROBE_EVENT, DeliveryProbe
from realtime.channel_traits import PROBE_CHANNEL
from realtime.redis_broker import RedisBroker
from tests.support.polling import poll_until

pytestmark = pytest.mark.redis


@pytest.fixture
async def probes(
    clean_redis_url: str, redis_prefix: str
) -> AsyncIterator[tuple[DeliveryProbe, DeliveryProbe]]:
    brokers = [RedisBroker(clean_redis_url, prefix=redis_prefix) for _ in range(2)]
    started = [DeliveryProbe(broker, interval=5.0) for broker in brokers]
    for broker, probe in zip(brokers, started, strict=True):
        await broker.start()
        await probe.start()
        async with asyncio.timeout(15):
            await broker.pubsub.wait_connected()
    yield started[0], started[1]
    for broker, probe in zip(brokers, started, strict=True):
        await probe.stop()
        await broker.close()


def _sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def _received(probe: DeliveryProbe, count: int) -> int:
    async def fetch() -> int:
        return probe.received

    return await poll_until(fetch, lambda received: received >= count)


async def test_every_process_times_every_probe(
    probes: tuple[DeliveryProbe, DeliveryProbe],
) -> None:
    sender, other = probes
    latencies_before = _sample("washline_probe_latency_seconds_count")
    await sender.send()
    await sender.send()
    assert await _received(other, 2) == 2
    assert await _received(sender, 2) == 2  # its own, through Redis
    assert (other.lost, sender.lost) == (0, 0)
    assert _sample("washline_probe_latency_seconds_count") - latencies_before == 4
    assert _sample("washline_probe_last_received_timestamp_seconds") > 0


async def test_a_probe_that_never_arrives_is_counted_lost(
    probes: tuple[DeliveryProbe, DeliveryProbe],
) -> None:
    sender, other = probes
    lost_before = _sample("washline_probe_lost_total")
    # A pod whose probes 2 and 3 were lost on the way: only 1 and 4 reach the channel.
    for seq in (1, 4):
        data = {"origin": "gone-pod", "seq": seq, "sent": time.time()}
        await sender.broker.publish_ephemeral(PROBE_CHANNEL, PROBE_EVENT, data)
    assert await _received(other, 2) == 2
    assert other.lost == 2
    assert _sample("washline_probe_lost_total") - lost_before == 4  # both processes saw it
