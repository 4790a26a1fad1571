"""Debian's Prometheus for the monitoring tests: `promtool` for the rules, and a throwaway
`prometheus` server (own port, own config, own data directory) for the end-to-end check.

The package's own service (which Debian starts on :9090 at install) is never used. When the
binaries are missing the tests fail with what to install: `make test` installs them first
(tests/support/ensure_prometheus.sh).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "k8s" / "components" / "monitoring"
PROMETHEUS_RULE = MONITORING / "prometheusrule.yaml"
DASHBOARDS = MONITORING / "dashboards"
RULES_TEST = ROOT / "tests" / "monitoring" / "rules_test.yaml"
INSTALL_HINT = "apt-get install -y prometheus (or run `make test`, which installs it as root)"


def binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: {INSTALL_HINT}")
    return found


def rule_groups() -> dict[str, Any]:
    """The PrometheusRule's spec: a plain Prometheus rule file."""
    spec: dict[str, Any] = yaml.safe_load(PROMETHEUS_RULE.read_text())["spec"]
    return spec


def write_rule_file(directory: Path, interval: str | None = None) -> Path:
    """The rules as a plain file in ``directory``; ``interval`` replaces every group's
    evaluation interval (a test cannot wait 30 s for the first recorded sample)."""
    groups = rule_groups()
    if interval is not None:
        for group in groups["groups"]:
            group["interval"] = interval
    path = directory / "washline.rules.yaml"
    path.write_text(yaml.safe_dump(groups))
    return path


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every target of every dashboard in k8s/."""
    queries = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                queries.append((panel["title"], target["expr"]))
    return queries


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


class ThrowawayPrometheus:
    """A `prometheus` scraping ``targets`` every second, with the rules loaded."""

    def __init__(self, directory: Path, targets: list[str], rule_file: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._directory = directory
        self._log = directory / "prometheus.log"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rule_file)],
            "scrape_configs": [{"job_name": "washline", "static_configs": [{"targets": targets}]}],
        }
        self._config = directory / "prometheus.yml"
        self._config.write_text(yaml.safe_dump(config))
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    binary("prometheus"),
                    f"--config.file={self._config}",
                    f"--storage.tsdb.path={self._directory / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--storage.tsdb.retention.time=1h",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail(f"prometheus exited:\n{self._log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"prometheus did not become ready:\n{self._log.read_text()[-2000:]}")

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Evaluate ``expr`` now; fails the test on an invalid expression."""
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        assert body.get("status") == "success", f"{expr}: {body}"
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def rules(self) -> list[dict[str, Any]]:
        body = httpx.get(f"{self.url}/api/v1/rules", timeout=10).json()
        return [rule for group in body["data"]["groups"] for rule in group["rules"]]

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
