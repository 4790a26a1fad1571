"""Every rendered manifest is valid Kubernetes, checked offline against its schemas."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from .manifests import KUSTOMIZATIONS, all_of, one, render

# Schemas shipped by kubernetes-validate; the oldest minor version we still deploy to.
KUBERNETES_VERSION = "1.32.0"
# Custom resources with no schema in kubernetes-validate; checked field by field below.
CUSTOM_KINDS = {
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    # Prometheus Operator resources: checked in test_monitoring_manifests.py.
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}
NAMESPACE = "washline"
CLUSTER_SCOPED = {"Namespace"}


@pytest.mark.parametrize("name", list(KUSTOMIZATIONS))
def test_every_manifest_validates_against_the_kubernetes_schema(name: str) -> None:
    docs = render(name)
    assert docs, f"{name} renders nothing"
    errors = []
    for doc in docs:
        label = f"{doc['kind']}/{doc['metadata']['name']}"
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(part) for part in exc.path)
            errors.append(f"{label}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{label}: {exc.message} (add a check for this custom resource)")
    assert not errors, "\n".join(errors)


def test_the_schema_check_is_strict() -> None:
    """A misspelt field must fail, or the test above proves nothing."""
    deployment = copy.deepcopy(one(render("base"), "Deployment", "washline"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("name", list(KUSTOMIZATIONS))
def test_everything_lives_in_the_washline_namespace(name: str) -> None:
    for doc in render(name):
        if doc["kind"] in CLUSTER_SCOPED:
            assert doc["metadata"]["name"] == NAMESPACE
        else:
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]["name"]


@pytest.mark.parametrize("name", list(KUSTOMIZATIONS))
def test_names_are_unique_per_kind(name: str) -> None:
    seen = [(doc["kind"], doc["metadata"]["name"]) for doc in render(name)]
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("name", ["base", "prod"])
def test_httproute_has_parents_and_routes_to_the_service(name: str) -> None:
    docs = render(name)
    routes = all_of(docs, "HTTPRoute")
    assert routes, f"{name} has no HTTPRoute"
    services = {svc["metadata"]["name"]: svc for svc in all_of(docs, "Service")}
    for route in routes:
        assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
        spec = route["spec"]
        assert spec.get("parentRefs"), "HTTPRoute needs parentRefs"
        for parent in spec["parentRefs"]:
            assert parent.get("name"), parent
            assert parent.get("kind", "Gateway") == "Gateway"
        assert spec.get("rules"), "HTTPRoute needs rules"
        prefixes = set()
        for rule in spec["rules"]:
            assert rule.get("backendRefs"), f"rule without backendRefs: {rule}"
            for backend in rule["backendRefs"]:
                assert backend.get("kind", "Service") == "Service"
                assert backend["name"] in services, f"no Service {backend['name']}"
                ports = {p["port"] for p in services[backend["name"]]["spec"]["ports"]}
                assert backend.get("port") in ports, f"Service has no port {backend.get('port')}"
            for match in rule.get("matches", []):
                path = match.get("path", {})
                assert path.get("type", "PathPrefix") in {"PathPrefix", "Exact"}
                prefixes.add(path.get("value", "/"))
            timeout = rule.get("timeouts", {}).get("request")
            if "/ws" in {m.get("path", {}).get("value") for m in rule.get("matches", [])}:
                assert timeout == "0s", "streams must not be cut by a whole-request timeout"
        assert {"/ws", "/api"} <= prefixes


def test_dev_uses_the_ingress_and_prod_the_gateway_api() -> None:
    dev, prod = render("dev"), render("prod")
    assert not all_of(dev, "HTTPRoute") and len(all_of(dev, "Ingress")) == 1
    assert len(all_of(prod, "HTTPRoute")) == 1 and not all_of(prod, "Ingress")


def test_dev_runs_its_own_redis_and_postgres_on_volumes() -> None:
    docs = render("dev")
    for name, port in (("redis", 6379), ("postgres", 5432)):
        statefulset = one(docs, "StatefulSet", name)
        assert statefulset["spec"]["replicas"] == 1
        assert statefulset["spec"]["volumeClaimTemplates"], f"{name} has no PVC"
        service = one(docs, "Service", name)
        assert service["spec"]["ports"][0]["port"] == port
        assert statefulset["spec"]["serviceName"] == name


def test_prod_brings_no_datastores() -> None:
    docs = render("prod")
    assert not all_of(docs, "StatefulSet")
    assert not all_of(docs, "PersistentVolumeClaim")
