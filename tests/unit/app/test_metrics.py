"""The application's metrics are in the default registry under the names the alert rules
read (k8s/components/monitoring), so a rename here breaks no dashboard silently."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import REGISTRY

from app import metrics

ROOT = Path(__file__).resolve().parents[3]
MONITORING = ROOT / "k8s" / "components" / "monitoring"
OTHER_MODULES = ("washline_realtime_", "washline_requests")


def _families() -> dict[str, object]:
    return {
        name: value
        for name, value in vars(metrics).items()
        if hasattr(value, "_name") and hasattr(value, "collect")
    }


def test_every_metric_is_named_washline_and_documented() -> None:
    families = _families()
    assert len(families) >= 10
    for family in families.values():
        assert family._name.startswith("washline_")  # type: ignore[attr-defined]
        assert family._documentation.strip()  # type: ignore[attr-defined]


def test_every_metric_is_in_the_default_registry() -> None:
    registered = {metric.name for metric in REGISTRY.collect()}
    for family in _families().values():
        assert family._name in registered  # type: ignore[attr-defined]


def test_the_time_to_assign_buckets_are_increasing_and_span_an_hour() -> None:
    buckets = metrics.TIME_TO_ASSIGN._upper_bounds  # type: ignore[attr-defined]
    finite = [bound for bound in buckets if bound != float("inf")]
    assert finite == sorted(finite)
    assert finite[-1] >= 3600


def test_dependency_up_is_recorded_per_dependency() -> None:
    metrics.DEPENDENCY_UP.labels(dependency="unit-test-store").set(0)
    sample = REGISTRY.get_sample_value("washline_dependency_up", {"dependency": "unit-test-store"})
    assert sample == 0.0


def _family_of(sample: str) -> str:
    for suffix in ("_bucket", "_count", "_sum", "_total"):
        if sample.endswith(suffix):
            return sample[: -len(suffix)]
    return sample


def test_every_application_metric_the_alert_rules_read_exists() -> None:
    rules = (MONITORING / "prometheusrule.yaml").read_text()
    read = {_family_of(name) for name in re.findall(r"washline_[a-z_]+", rules)}
    ours = {name for name in read if not name.startswith(OTHER_MODULES)}
    assert "washline_probe_lost" in ours and "washline_dependency_up" in ours
    defined = {family._name for family in _families().values()}  # type: ignore[attr-defined]
    assert ours <= defined
