"""docs/deploy.md stays in step with the settings and the manifests."""

from __future__ import annotations

from app.settings import REQUIRED_IN_PRODUCTION, Settings

from .manifests import ROOT

DEPLOY_MD = ROOT / "docs" / "deploy.md"


def test_every_setting_is_documented() -> None:
    text = DEPLOY_MD.read_text()
    missing = [name for name in Settings.env_names() if f"`{name}`" not in text]
    assert not missing, f"docs/deploy.md does not document {missing}"
    for name in REQUIRED_IN_PRODUCTION:
        assert f"`{name}`" in text


def test_the_connection_metric_adapter_rule_is_documented() -> None:
    text = DEPLOY_MD.read_text()
    assert "prometheus-adapter" in text
    assert "washline_connections" in text
    assert "metricsQuery" in text


def test_drain_sequence_is_documented() -> None:
    text = DEPLOY_MD.read_text()
    for needle in ("SIGTERM", "preStop", "1012", "SHUTDOWN_GRACE_SECONDS", "washline db upgrade"):
        assert needle in text, needle
