"""The alerting and recording rules are valid Prometheus rules, and their unit tests
(tests/monitoring/rules_test.yaml: fixtures that fire each alert and fixtures that keep it
quiet) pass under `promtool test rules`."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.prometheus import RULES_TEST, promtool, rule_groups, write_rule_file


def test_promtool_accepts_the_rules(tmp_path: Path) -> None:
    result = promtool("check", "rules", str(write_rule_file(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rule_unit_tests_pass(tmp_path: Path) -> None:
    write_rule_file(tmp_path)
    shutil.copy(RULES_TEST, tmp_path / RULES_TEST.name)
    result = promtool("test", "rules", RULES_TEST.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_fixture_fails(tmp_path: Path) -> None:
    """The unit tests can fail: an alert expected where none fires is reported."""
    write_rule_file(tmp_path)
    broken = RULES_TEST.read_text().replace(
        "alertname: WashlineRedisDown\n        exp_alerts: []",
        "alertname: WashlineRedisDown\n        exp_alerts: [{exp_labels: {severity: page}}]",
        1,
    )
    (tmp_path / "broken_test.yaml").write_text(broken)
    result = promtool("test", "rules", "broken_test.yaml", cwd=tmp_path)
    assert result.returncode != 0
    assert "WashlineRedisDown" in result.stdout + result.stderr


def test_every_alert_has_a_firing_fixture() -> None:
    alerts = {
        rule["alert"]
        for group in rule_groups()["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    fixtures = RULES_TEST.read_text()
    fired = {name for name in alerts if f"alertname: {name}\n        exp_alerts:\n" in fixtures}
    assert fired == alerts, f"no firing fixture for {sorted(alerts - fired)}"
