"""The import rules that keep the layers apart, checked on the source itself.

`domain` is plain rules (no I/O library, nothing of ours but itself); `realtime` is the live
core on top of it; `persistence` never reaches into the application; inside `app`, services
and workers are transport-free (no HTTP edge, no live transport), so one use case serves
every edge the same way. A new import that breaks a rule fails here, naming the file.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IO_LIBRARIES = ("sqlalchemy", "asyncpg", "redis", "litestar", "httpx", "websockets", "uvicorn")


def imports_of(package: str) -> Iterator[tuple[str, str]]:
    """(file, imported module) for every absolute import in `package` (a dotted path)."""
    folder = ROOT.joinpath(*package.split("."))
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield str(path.relative_to(ROOT)), node.module
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield str(path.relative_to(ROOT)), alias.name


def within(module: str, *packages: str) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


RULES: list[tuple[str, tuple[str, ...]]] = [
    ("domain", ("app", "realtime", "persistence", *IO_LIBRARIES)),
    ("realtime", ("app", "persistence")),
    ("persistence", ("app",)),
    ("app.services", ("app.http", "app.live", "app.workers")),
    ("app.workers", ("app.http", "app.live")),
]


@pytest.mark.parametrize(("package", "forbidden"), RULES, ids=[rule[0] for rule in RULES])
def test_a_layer_imports_nothing_it_must_not(package: str, forbidden: tuple[str, ...]) -> None:
    breaches = [
        f"{path} imports {module}"
        for path, module in imports_of(package)
        if within(module, *forbidden)
    ]
    assert breaches == []


def test_the_rules_see_real_imports() -> None:
    """The walker finds imports at all (a broken walker would pass every rule)."""
    found = {module for _, module in imports_of("app.services")}
    assert "domain.errors" in found
    assert any(within(module, "persistence") for module in found)
