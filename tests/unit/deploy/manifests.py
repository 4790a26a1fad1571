"""Helpers for the deployment tests: render k8s/ with kubectl's kustomize and query it."""

from __future__ import annotations

import base64
import functools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "k8s"
KUSTOMIZATIONS = {
    "base": K8S / "base",
    "dev": K8S / "overlays" / "dev",
    "prod": K8S / "overlays" / "prod",
}
OVERLAYS = ("dev", "prod")

APP_NAME = "washline"
SERVER_PORT = 8000
SERVE_COMMAND = ["washline", "serve", "--host", "0.0.0.0", "--port", str(SERVER_PORT)]
MIGRATE_COMMAND = ["washline", "db", "upgrade"]

Manifest = dict[str, Any]


def kubectl() -> str:
    """Path to kubectl; fail in CI, skip elsewhere, with what to install."""
    path = os.environ.get("KUBECTL") or shutil.which("kubectl")
    if path:
        return path
    message = (
        "kubectl not found: install kubectl (its built-in kustomize renders k8s/ offline), "
        "or point the KUBECTL environment variable at it"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@functools.cache
def _render(name: str, kubectl_path: str) -> tuple[Manifest, ...]:
    result = subprocess.run(
        [kubectl_path, "kustomize", str(KUSTOMIZATIONS[name])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize {KUSTOMIZATIONS[name]} failed:\n{result.stderr}")
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def render(name: str) -> list[Manifest]:
    """The manifests of one kustomization (base, dev, prod) as `kubectl kustomize` renders them."""
    return list(_render(name, kubectl()))


def all_of(docs: list[Manifest], kind: str) -> list[Manifest]:
    return [doc for doc in docs if doc["kind"] == kind]


def one(docs: list[Manifest], kind: str, name: str) -> Manifest:
    found = [doc for doc in all_of(docs, kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name!r}, found {len(found)}"
    return found[0]


def deployment(docs: list[Manifest]) -> Manifest:
    return one(docs, "Deployment", APP_NAME)


def server_container(docs: list[Manifest]) -> Manifest:
    containers = deployment(docs)["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == APP_NAME)


def app_pod_specs(docs: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    """(kind/name, pod spec) of every workload that runs the Washline image."""
    for doc in docs:
        if doc["kind"] not in {"Deployment", "Job", "StatefulSet", "CronJob"}:
            continue
        if doc["metadata"].get("labels", {}).get("app.kubernetes.io/name") != APP_NAME:
            continue
        spec = doc["spec"]
        if doc["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        yield f"{doc['kind']}/{doc['metadata']['name']}", spec["template"]["spec"]


def referenced_names(pod_spec: Manifest, kind: str) -> set[str]:
    """ConfigMaps (kind="configMap") or Secrets (kind="secret") a pod takes env from."""
    names: set[str] = set()
    for container in pod_spec.get("containers", []) + pod_spec.get("initContainers", []):
        for source in container.get("envFrom", []):
            ref = source.get(f"{kind}Ref")
            if ref:
                names.add(ref["name"])
        for entry in container.get("env", []):
            ref = entry.get("valueFrom", {}).get(f"{kind}KeyRef")
            if ref:
                names.add(ref["name"])
    return names


def data_keys(doc: Manifest) -> set[str]:
    return set(doc.get("data") or {}) | set(doc.get("stringData") or {})


def data_value(doc: Manifest, key: str) -> str | None:
    """A key's value in a ConfigMap or Secret, decoding Secret data."""
    if key in (doc.get("stringData") or {}):
        return str(doc["stringData"][key])
    value = (doc.get("data") or {}).get(key)
    if value is None:
        return None
    if doc["kind"] == "Secret":
        return base64.b64decode(value).decode()
    return str(value)


def find(docs: list[Manifest], kind: str, name: str) -> Manifest | None:
    found = [doc for doc in all_of(docs, kind) if doc["metadata"]["name"] == name]
    return found[0] if found else None


def effective_env(docs: list[Manifest], container: Manifest) -> dict[str, str]:
    """Literal environment a container gets: envFrom ConfigMaps/Secrets, then env entries.

    References to objects the rendering does not contain (the base has no Secret) are
    skipped; test_references_resolve checks the overlays have them all.
    """
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        for kind, ref_key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = source.get(ref_key)
            doc = find(docs, kind, ref["name"]) if ref else None
            if doc:
                for key in data_keys(doc):
                    env[key] = data_value(doc, key) or ""
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = str(entry["value"])
        elif "valueFrom" in entry:
            for kind, ref_key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                ref = entry["valueFrom"].get(ref_key)
                doc = find(docs, kind, ref["name"]) if ref else None
                if doc:
                    env[entry["name"]] = data_value(doc, ref["key"]) or ""
    return env


def container_port(container: Manifest, port: int | str) -> int:
    """Resolve a probe's or Service's port (number or name) against a container's ports."""
    if isinstance(port, int):
        return port
    if port.isdigit():
        return int(port)
    for declared in container.get("ports", []):
        if declared.get("name") == port:
            return int(declared["containerPort"])
    raise AssertionError(f"container {container['name']} declares no port named {port!r}")


def prestop_sleep_seconds(container: Manifest) -> int:
    """Seconds a container's preStop hook sleeps (exec `sleep N` or the native sleep action)."""
    pre_stop = container.get("lifecycle", {}).get("preStop")
    assert pre_stop, f"container {container['name']} has no preStop hook"
    if "sleep" in pre_stop:
        return int(pre_stop["sleep"]["seconds"])
    command = pre_stop["exec"]["command"]
    assert command[0].rsplit("/", 1)[-1] == "sleep", f"preStop is not a sleep: {command}"
    return int(float(command[1]))
