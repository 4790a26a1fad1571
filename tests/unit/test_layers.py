"""The import rules that keep the layers apart, checked on the source itself.

`domain` is plain rules (no I/O library, nothing of ours but itself); `realtime` is the live
core on top of it; `persistence` never reaches into the application; inside `app`, services
and workers are transport-free (no HTTP edge, no live transport), so one use case serves
every edge the same way. The city simulator (`clients/simulator`) is a client like any
other: it reaches the server only through the public Python SDK, never its code; and the app
only starts it as a process, never imports it. A new import that breaks a rule fails here,
naming the file.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IO_LIBRARIES = ("sqlalchemy", "asyncpg", "redis", "litestar", "httpx", "websockets", "uvicorn")


def imports_of(package: str, root: Path = ROOT) -> Iterator[tuple[str, str]]:
    """(file, imported module) for every absolute import in `package` (a dotted path under
    `root`)."""
    folder = root.joinpath(*package.split("."))
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


SIMULATOR_ROOT = ROOT / "clients" / "simulator"
SERVER_PACKAGES = ("app", "domain", "realtime", "persistence")


def test_the_simulator_imports_nothing_of_the_server() -> None:
    """Only the SDK (and libraries): what a phone app could import."""
    found = list(imports_of("washline_simulator", SIMULATOR_ROOT))
    assert any(within(module, "washline_client") for _, module in found)  # the walker sees
    breaches = [
        f"{path} imports {module}"
        for path, module in found
        if within(module, *SERVER_PACKAGES, "tests")
    ]
    assert breaches == []


def test_the_app_never_imports_the_simulator() -> None:
    """The app starts the simulator as a process (`python -m washline_simulator`)."""
    breaches = [
        f"{path} imports {module}"
        for path, module in imports_of("app")
        if within(module, "washline_simulator")
    ]
    assert breaches == []


QUERY_FREE = ("app/services", "app/workers")
QUERY_FREE_FILES = ("app/session_access.py", "app/mfa_secrets.py", "app/demo.py")
QUERY_BUILDERS = frozenset({"select", "insert", "update", "delete", "exists"})


def statements_built(path: Path) -> Iterator[tuple[str, str, int]]:
    """(enclosing function, builder, line) of every call of a SQLAlchemy statement builder."""
    tree = ast.parse(path.read_text(), filename=str(path))

    def visit(node: ast.AST, function: str) -> Iterator[tuple[str, str, int]]:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.Call):
                called = child.func
                builder = called.id if isinstance(called, ast.Name) else None
                if builder in QUERY_BUILDERS:
                    yield function, builder, child.lineno
            yield from visit(child, name)

    yield from visit(tree, "<module>")


def query_free_sources() -> list[Path]:
    paths = [p for folder in QUERY_FREE for p in sorted(ROOT.joinpath(folder).rglob("*.py"))]
    return paths + [ROOT / name for name in QUERY_FREE_FILES]


def test_services_and_workers_build_no_statements() -> None:
    """Queries are named functions of `persistence`; a use case calls them."""
    built = [
        f"{path.relative_to(ROOT)}:{line} {function}() calls {builder}("
        for path in query_free_sources()
        for function, builder, line in statements_built(path)
    ]
    assert built == []


def test_the_statement_finder_sees_statements() -> None:
    """The finder sees the statements persistence builds, and names their functions (a
    broken finder would pass the rule above)."""
    reads = {(f, b) for f, b, _ in statements_built(ROOT / "persistence/order_reads.py")}
    assert any(builder == "select" for _, builder in reads)
    chat = {b for _, b, _ in statements_built(ROOT / "persistence/chat.py")}
    assert {"select", "insert"} <= chat
