"""The Dockerfile and .dockerignore, checked statically (no Docker engine needed)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from .manifests import ROOT, SERVE_COMMAND, SERVER_PORT, render, server_container

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PACKAGES = ("app", "domain", "realtime", "persistence")

Instruction = tuple[str, str]


def _instructions(path: Path) -> list[Instruction]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    assert not pending, "Dockerfile ends inside a continuation"
    return instructions


def _stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    stages: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _exec_form(arguments: str) -> list[str]:
    assert arguments.startswith("["), f"use the exec form (JSON array), not {arguments!r}"
    value = json.loads(arguments)
    assert isinstance(value, list)
    return [str(item) for item in value]


@pytest.fixture(scope="module")
def stages() -> list[list[Instruction]]:
    return _stages(_instructions(DOCKERFILE))


@pytest.fixture(scope="module")
def runtime(stages: list[list[Instruction]]) -> list[Instruction]:
    return stages[-1]


def _all(stage: list[Instruction], keyword: str) -> list[str]:
    return [arguments for name, arguments in stage if name == keyword]


def test_multi_stage_build_copies_only_the_venv(stages: list[list[Instruction]]) -> None:
    assert len(stages) >= 2
    builder_from = _all(stages[0], "FROM")[0].split()
    assert builder_from[-2].upper() == "AS"
    builder = builder_from[-1]
    runtime_from = _all(stages[-1], "FROM")[0]
    assert "python:" in runtime_from and "-slim" in runtime_from
    assert "${PYTHON_VERSION}" in runtime_from or "3.11" in runtime_from
    copies = _all(stages[-1], "COPY")
    assert copies, "the runtime stage copies nothing"
    for copy in copies:
        assert copy.startswith(f"--from={builder} "), f"runtime copies from the context: {copy}"
    assert any("/opt/venv" in copy for copy in copies)
    builder_copies = " ".join(_all(stages[0], "COPY"))
    for package in PACKAGES:
        assert package in builder_copies, f"builder does not copy {package}/"
    assert any("pip install ." in run for run in _all(stages[0], "RUN"))


def test_python_version_matches_the_project() -> None:
    args = [line for name, line in _instructions(DOCKERFILE) if name == "ARG"]
    assert "PYTHON_VERSION=3.11" in args
    assert 'requires-python = ">=3.11"' in (ROOT / "pyproject.toml").read_text()


def test_runs_as_a_fixed_non_root_uid(runtime: list[Instruction]) -> None:
    users = _all(runtime, "USER")
    assert users, "no USER in the runtime stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), "a numeric USER lets Kubernetes verify runAsNonRoot"
    assert int(uid) != 0
    # The Kubernetes pods run as the same uid.
    deployment_pod = render("base")
    pod = next(doc for doc in deployment_pod if doc["kind"] == "Deployment")
    assert pod["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == int(uid)


def test_exposes_the_server_port(runtime: list[Instruction]) -> None:
    exposed = [port.split("/")[0] for line in _all(runtime, "EXPOSE") for port in line.split()]
    assert exposed == [str(SERVER_PORT)]
    assert server_container(render("base"))["ports"][0]["containerPort"] == SERVER_PORT


def test_stops_with_sigterm(runtime: list[Instruction]) -> None:
    assert _all(runtime, "STOPSIGNAL") == ["SIGTERM"]


def test_healthcheck_probes_health_with_the_standard_library(runtime: list[Instruction]) -> None:
    (healthcheck,) = _all(runtime, "HEALTHCHECK")
    command = healthcheck[healthcheck.index("CMD") + len("CMD") :].strip()
    argv = _exec_form(command)
    assert argv[0] == "python"
    script = " ".join(argv)
    assert "urllib.request" in script
    assert f"127.0.0.1:{SERVER_PORT}/health" in script
    assert "curl" not in healthcheck and "wget" not in healthcheck
    compile(argv[-1], "<healthcheck>", "exec")


def test_cmd_is_the_serve_command(runtime: list[Instruction]) -> None:
    (cmd,) = _all(runtime, "CMD")
    assert _exec_form(cmd) == SERVE_COMMAND
    assert not _all(runtime, "ENTRYPOINT"), "the migration Job replaces the command"


def test_python_environment(runtime: list[Instruction]) -> None:
    env = " ".join(_all(runtime, "ENV"))
    tokens = dict(token.split("=", 1) for token in shlex.split(env) if "=" in token)
    assert tokens.get("PYTHONUNBUFFERED") == "1"
    assert tokens.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert "/opt/venv/bin" in tokens.get("PATH", "")


def test_dockerignore_keeps_the_context_small() -> None:
    patterns = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for required in (".venv", ".git", "tests", "bench", "*.db", ".pytest_cache", ".mypy_cache"):
        assert required in patterns, f".dockerignore does not exclude {required}"
    assert any("__pycache__" in pattern for pattern in patterns)
    for needed in ("pyproject.toml", "README.md", *PACKAGES):
        assert needed not in patterns, f"the build needs {needed}"
