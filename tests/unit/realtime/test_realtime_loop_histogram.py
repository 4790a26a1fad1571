"""The delivery-latency histogram is a plain-int histogram of the event loop; scraped, it
must read as a Prometheus histogram: cumulative buckets, ``le`` inclusive, count and sum."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from realtime.metrics import LoopHistogram


def _scrape(histogram: LoopHistogram) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(histogram)
    samples: dict[str, float] = {}
    for line in generate_latest(registry).decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_buckets_are_cumulative_and_inclusive_of_their_bound() -> None:
    histogram = LoopHistogram("t_latency_seconds", "test", buckets=(0.01, 0.1, 1.0))
    for value in (0.0, 0.01, 0.05, 0.1, 2.0):
        histogram.observe(value)
    samples = _scrape(histogram)
    assert samples['t_latency_seconds_bucket{le="0.01"}'] == 2
    assert samples['t_latency_seconds_bucket{le="0.1"}'] == 4
    assert samples['t_latency_seconds_bucket{le="1.0"}'] == 4
    assert samples['t_latency_seconds_bucket{le="+Inf"}'] == 5
    assert samples["t_latency_seconds_count"] == 5
    assert abs(samples["t_latency_seconds_sum"] - 2.16) < 1e-9
    assert histogram.count == 5


def test_the_delivery_latency_keeps_its_exposed_name() -> None:
    from realtime import metrics

    metrics.DELIVERY_LATENCY.observe(0.002)
    names = _scrape(metrics.DELIVERY_LATENCY)
    assert 'washline_realtime_delivery_latency_seconds_bucket{le="0.0025"}' in names
    assert "washline_realtime_delivery_latency_seconds_count" in names
