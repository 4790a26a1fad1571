"""The production overlay's monitoring: a PodMonitor that selects the server pods on their
named port, the SLO rules as a PrometheusRule, and the Grafana dashboard ConfigMap that
the dashboard sidecar loads. (Rules and queries are evaluated for real in
tests/monitoring and tests/e2e/test_prometheus_monitoring.py.)"""

from __future__ import annotations

import json

from .manifests import one, render


def test_the_pod_monitor_scrapes_every_server_pod_on_its_port() -> None:
    docs = render("prod")
    monitor = one(docs, "PodMonitor", "washline")
    deployment = one(docs, "Deployment", "washline")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    ports = {
        p["name"] for c in deployment["spec"]["template"]["spec"]["containers"] for p in c["ports"]
    }
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] in ports
    assert endpoint["path"] == "/metrics"


def test_the_rules_are_a_prometheus_rule_with_named_groups() -> None:
    rule = one(render("prod"), "PrometheusRule", "washline")
    groups = rule["spec"]["groups"]
    assert [g["name"] for g in groups] == ["washline.recording", "washline.alerts"]
    for group in groups:
        for entry in group["rules"]:
            assert ("record" in entry) != ("alert" in entry)
            assert entry["expr"]


def test_the_dashboard_config_map_holds_the_dashboard_json() -> None:
    config_map = one(render("prod"), "ConfigMap", "washline-grafana-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["washline.json"])
    assert dashboard["uid"] == "washline-overview"
    assert all(t["expr"] for p in dashboard["panels"] for t in p.get("targets", []))


def test_the_base_has_scrape_annotations_for_clusters_without_the_operator() -> None:
    deployment = one(render("base"), "Deployment", "washline")
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
