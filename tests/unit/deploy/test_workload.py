"""The rendered Deployment, its Service, autoscaling, disruption and network policies."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.settings import REQUIRED_IN_PRODUCTION, Settings

from .manifests import (
    APP_NAME,
    KUSTOMIZATIONS,
    MIGRATE_COMMAND,
    OVERLAYS,
    SERVE_COMMAND,
    SERVER_PORT,
    Manifest,
    all_of,
    app_pod_specs,
    container_port,
    data_keys,
    deployment,
    effective_env,
    find,
    one,
    prestop_sleep_seconds,
    referenced_names,
    render,
    server_container,
)

ALL = list(KUSTOMIZATIONS)
SERVER_LABELS = {"app.kubernetes.io/name": APP_NAME, "app.kubernetes.io/component": "server"}
DEFAULT_PORTS = {"postgresql+asyncpg": 5432, "redis": 6379, "rediss": 6379}
DNS_PORT = 53


def _setting_default(env_name: str) -> str:
    return next(raw for name, raw, _ in Settings.documentation() if name == env_name)


def _wave(doc: Manifest) -> int:
    """The Argo CD sync wave of an object (0 when unset)."""
    return int(doc["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", 0))


def _selects(selector: Manifest, labels: dict[str, str]) -> bool:
    match = selector.get("matchLabels", selector)
    return all(labels.get(key) == value for key, value in match.items())


@pytest.mark.parametrize("name", ALL)
def test_one_server_process_listens_on_the_service_target_port(name: str) -> None:
    docs = render(name)
    container = server_container(docs)
    assert container.get("command", []) + container.get("args", []) == SERVE_COMMAND
    assert container_port(container, "http") == SERVER_PORT
    service = one(docs, "Service", APP_NAME)
    assert service["spec"]["selector"] == SERVER_LABELS
    for port in service["spec"]["ports"]:
        assert container_port(container, port["targetPort"]) == SERVER_PORT
    pod_labels = deployment(docs)["spec"]["template"]["metadata"]["labels"]
    assert _selects(service["spec"]["selector"], pod_labels)
    assert _selects(deployment(docs)["spec"]["selector"], pod_labels)


@pytest.mark.parametrize("name", ALL)
def test_probes_use_health_for_liveness_and_ready_for_readiness(name: str) -> None:
    container = server_container(render(name))
    expected = {"startupProbe": "/health", "livenessProbe": "/health", "readinessProbe": "/ready"}
    for probe, path in expected.items():
        http = container[probe]["httpGet"]
        assert http["path"] == path, probe
        assert container_port(container, http["port"]) == SERVER_PORT, probe
    # Readiness must react faster than liveness kills: a draining pod is taken out, not restarted.
    readiness, liveness = container["readinessProbe"], container["livenessProbe"]
    assert readiness["periodSeconds"] * readiness["failureThreshold"] < (
        liveness["periodSeconds"] * liveness["failureThreshold"]
    )


@pytest.mark.parametrize("name", ALL)
def test_grace_period_covers_prestop_and_the_drain(name: str) -> None:
    docs = render(name)
    container = server_container(docs)
    env = effective_env(docs, container)
    drain = int(env.get("SHUTDOWN_GRACE_SECONDS", _setting_default("SHUTDOWN_GRACE_SECONDS")))
    pre_stop = prestop_sleep_seconds(container)
    assert pre_stop >= 3, "endpoints need a few seconds to stop routing before the drain"
    grace = deployment(docs)["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > pre_stop + drain, (
        f"terminationGracePeriodSeconds={grace} must exceed preStop {pre_stop}s "
        f"+ SHUTDOWN_GRACE_SECONDS {drain}s"
    )


@pytest.mark.parametrize("name", OVERLAYS)
def test_references_resolve(name: str) -> None:
    docs = render(name)
    for label, pod in app_pod_specs(docs):
        for ref in referenced_names(pod, "configMap"):
            assert find(docs, "ConfigMap", ref), f"{label} uses missing ConfigMap {ref}"
        for ref in referenced_names(pod, "secret"):
            assert find(docs, "Secret", ref), f"{label} uses missing Secret {ref}"


@pytest.mark.parametrize("name", ALL)
def test_every_variable_set_for_the_app_is_a_setting(name: str) -> None:
    docs = render(name)
    known = set(Settings.env_names())
    for label, pod in app_pod_specs(docs):
        for container in pod["containers"] + pod.get("initContainers", []):
            names = {entry["name"] for entry in container.get("env", [])}
            assert names <= known, f"{label}: not settings: {sorted(names - known)}"
        for kind, ref_kind in (("ConfigMap", "configMap"), ("Secret", "secret")):
            for ref in referenced_names(pod, ref_kind):
                doc = find(docs, kind, ref)
                if doc:
                    keys = data_keys(doc)
                    assert keys <= known, f"{kind} {ref}: not settings: {sorted(keys - known)}"


@pytest.mark.parametrize("name", OVERLAYS)
def test_production_settings_are_complete_and_parse(name: str) -> None:
    docs = render(name)
    for label, pod in app_pod_specs(docs):
        for container in pod["containers"]:
            env = effective_env(docs, container)
            missing = [key for key in REQUIRED_IN_PRODUCTION if not env.get(key)]
            assert not missing, f"{label} lacks {missing}"
            assert env.get("WASHLINE_ENV") == "production", label
            settings = Settings.from_env(env)  # raises SettingsError on a malformed value
            assert settings.database_url.startswith("postgresql+asyncpg://")
            assert settings.uses_redis


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_pod_meets_the_restricted_pod_security_standard(name: str) -> None:
    docs = render(name)
    namespace = one(docs, "Namespace", "washline")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in docs:
        if doc["kind"] not in {"Deployment", "StatefulSet", "Job"}:
            continue
        label = f"{doc['kind']}/{doc['metadata']['name']}"
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, label
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", label
        assert pod.get("automountServiceAccountToken") is False, label
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, label
            assert security["capabilities"]["drop"] == ["ALL"], label
            assert security["readOnlyRootFilesystem"] is True, label
            assert container["resources"]["requests"], label
            assert container["resources"]["limits"]["memory"], label


@pytest.mark.parametrize("name", ALL)
def test_app_pods_run_as_the_image_user_with_a_writable_tmp(name: str) -> None:
    for label, pod in app_pod_specs(render(name)):
        assert pod["securityContext"]["runAsUser"] == 10001, label
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in pod["containers"]:
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], label


@pytest.mark.parametrize("name", ALL)
def test_pods_spread_over_zones_and_nodes(name: str) -> None:
    docs = render(name)
    pod = deployment(docs)["spec"]["template"]
    constraints = pod["spec"]["topologySpreadConstraints"]
    keys = {c["topologyKey"] for c in constraints}
    assert {"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= keys
    for constraint in constraints:
        assert _selects(constraint["labelSelector"], pod["metadata"]["labels"])


@pytest.mark.parametrize("name", ALL)
def test_the_autoscaler_owns_the_replica_count(name: str) -> None:
    docs = render(name)
    replicas = deployment(docs)["spec"].get("replicas")
    assert replicas is None, "with an HPA, spec.replicas resets the scale on every apply"
    hpa = one(docs, "HorizontalPodAutoscaler", APP_NAME)
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": APP_NAME,
    }
    assert hpa["spec"]["minReplicas"] >= 3
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    metrics = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert metrics["Resource"]["resource"]["name"] == "cpu"
    assert metrics["Pods"]["pods"]["metric"]["name"] == "washline_connections"
    scale_down = hpa["spec"]["behavior"]["scaleDown"]
    assert scale_down["stabilizationWindowSeconds"] >= 600
    assert all(p["type"] == "Pods" and p["value"] == 1 for p in scale_down["policies"])


@pytest.mark.parametrize("name", ALL)
def test_disruptions_take_one_pod_at_a_time(name: str) -> None:
    docs = render(name)
    pdb = one(docs, "PodDisruptionBudget", APP_NAME)
    assert pdb["spec"]["maxUnavailable"] == 1
    pod_labels = deployment(docs)["spec"]["template"]["metadata"]["labels"]
    assert _selects(pdb["spec"]["selector"], pod_labels)
    strategy = deployment(docs)["spec"]["strategy"]["rollingUpdate"]
    assert strategy["maxUnavailable"] == 0


def _policies_for(docs: list[Manifest], labels: dict[str, str], kind: str) -> list[Manifest]:
    return [
        policy
        for policy in all_of(docs, "NetworkPolicy")
        if kind in policy["spec"].get("policyTypes", [])
        and _selects(policy["spec"]["podSelector"], labels)
    ]


@pytest.mark.parametrize("name", ALL)
def test_network_is_denied_by_default(name: str) -> None:
    default_deny = one(render(name), "NetworkPolicy", "default-deny")
    assert default_deny["spec"]["podSelector"] == {}
    assert set(default_deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in default_deny["spec"] and "egress" not in default_deny["spec"]


@pytest.mark.parametrize("name", ALL)
def test_only_the_gateway_and_prometheus_reach_the_app_port(name: str) -> None:
    docs = render(name)
    expected = {"gateway-system", "monitoring"} | ({"ingress-nginx"} if name == "dev" else set())
    sources = set()
    for policy in _policies_for(docs, SERVER_LABELS, "Ingress"):
        for rule in policy["spec"].get("ingress", []):
            assert [p["port"] for p in rule["ports"]] == [SERVER_PORT], policy["metadata"]
            assert rule.get("from"), "a rule without `from` admits everyone"
            for peer in rule["from"]:
                assert "ipBlock" not in peer
                namespace = peer["namespaceSelector"]["matchLabels"]
                sources.add(namespace["kubernetes.io/metadata.name"])
    assert sources == expected


def _egress_ports(docs: list[Manifest]) -> set[int]:
    labels = {"app.kubernetes.io/name": APP_NAME, "app.kubernetes.io/component": "migration"}
    ports: set[int] = set()
    for wanted in (SERVER_LABELS, labels):
        for policy in _policies_for(docs, wanted, "Egress"):
            for rule in policy["spec"].get("egress", []):
                assert rule.get("ports"), "an egress rule without ports allows everything"
                ports |= {int(port["port"]) for port in rule["ports"]}
    return ports


@pytest.mark.parametrize("name", OVERLAYS)
def test_the_app_egresses_only_to_dns_and_its_datastores(name: str) -> None:
    docs = render(name)
    env = effective_env(docs, server_container(docs))
    wanted = {DNS_PORT}
    for key in ("DATABASE_URL", "REDIS_URL"):
        url = urlsplit(env[key])
        wanted.add(url.port or DEFAULT_PORTS[url.scheme])
    assert _egress_ports(docs) == wanted


def test_base_egress_is_limited_to_the_standard_ports() -> None:
    assert _egress_ports(render("base")) == {DNS_PORT, 5432, 6379}


@pytest.mark.parametrize("name", ALL)
def test_migration_job_runs_the_same_image_and_config_before_the_app(name: str) -> None:
    docs = render(name)
    job = one(docs, "Job", "washline-migrate")
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container.get("command", []) + container.get("args", []) == MIGRATE_COMMAND
    assert pod["restartPolicy"] == "Never"
    server = server_container(docs)
    assert container["image"] == server["image"]
    assert container["envFrom"] == server["envFrom"]
    assert container["env"] == server["env"]
    assert _wave(job) < _wave(deployment(docs))
    for kind in ("Namespace", "ServiceAccount", "ConfigMap", "Secret", "NetworkPolicy"):
        for doc in all_of(docs, kind):
            if doc["metadata"]["name"] in {"washline-ingress", "washline-ingress-controller"}:
                continue  # only the server pods' ingress; the Job needs no ingress
            label = f"{kind} {doc['metadata']['name']}"
            assert _wave(doc) < _wave(job), f"{label} must exist before the Job"


def test_dev_datastores_are_ready_before_the_migration() -> None:
    docs = render("dev")
    job_wave = _wave(one(docs, "Job", "washline-migrate"))
    for name in ("redis", "postgres"):
        for kind in ("StatefulSet", "Service", "NetworkPolicy"):
            assert _wave(one(docs, kind, name)) < job_wave, f"{kind} {name}"


def test_ingress_keeps_streams_open_and_unbuffered() -> None:
    docs = render("dev")
    ingress = one(docs, "Ingress", APP_NAME)
    annotations = ingress["metadata"]["annotations"]
    env = effective_env(docs, server_container(docs))
    heartbeat = float(env.get("HEARTBEAT_SECONDS", _setting_default("HEARTBEAT_SECONDS")))
    for key in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(annotations[f"nginx.ingress.kubernetes.io/{key}"]) >= 60 * heartbeat, key
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    service = one(docs, "Service", APP_NAME)
    port_names = {port["name"] for port in service["spec"]["ports"]}
    paths = []
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == APP_NAME
            assert backend["port"].get("name") in port_names
            paths.append(path["path"])
    assert {"/ws", "/api"} <= set(paths)
