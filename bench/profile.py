"""Summarise a py-spy ``--format raw`` (collapsed stacks) profile: top frames by self and
inclusive samples, and self samples by package, as printed in docs/benchmarks.md.

    python -m bench.profile bench/results/<run>/W1-washline.pyspy.txt
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from typing import Any

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]*)(?::(?P<line>\d+))?\)$")
_PACKAGES = (
    "litestar",
    "uvicorn",
    "websockets",
    "redis",
    "msgspec",
    "structlog",
    "prometheus_client",
    "asyncio",
    "realtime",
    "app",
    "bench",
    "sqlalchemy",
    "logging",
    "json",
)


def _short(frame: str) -> str:
    """``func (path/to/pkg/mod.py:12)`` -> ``func (pkg/mod.py)``; lines dropped."""
    match = _FRAME.match(frame)
    if not match:
        return frame
    parts = match["file"].replace("\\", "/").split("/")
    return f"{match['func']} ({'/'.join(parts[-2:])})"


def _package(frame: str) -> str:
    match = _FRAME.match(frame)
    path = match["file"] if match else frame
    parts = path.replace("\\", "/").split("/")
    for name in _PACKAGES:
        if name in parts[:-1] or (name == "asyncio" and "asyncio" in path):
            return name
    return parts[-2] if len(parts) > 1 else (path or "?")


def summarise(path: str, top: int = 15) -> dict[str, Any]:
    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            stack, _, count_text = line.rstrip("\n").rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [f for f in stack.split(";") if f and not f.startswith("process ")]
            if not frames:
                continue
            total += count
            leaf = frames[-1]
            self_counts[_short(leaf)] += count
            packages[_package(leaf)] += count
            for name in {_short(f) for f in frames}:
                inclusive[name] += count

    def table(counter: Counter[str]) -> list[list[Any]]:
        return [[name, n, round(100.0 * n / total, 1)] for name, n in counter.most_common(top)]

    return {
        "samples": total,
        "self": table(self_counts),
        "inclusive": table(inclusive),
        "self_by_package": table(packages),
    }


def format_summary(summary: dict[str, Any]) -> str:
    lines = [f"samples: {summary['samples']}"]
    for key, title in (
        ("self_by_package", "self time by package"),
        ("self", "top frames by self time"),
        ("inclusive", "top frames by inclusive time"),
    ):
        lines.append(f"  {title}:")
        lines.extend(f"    {pct:5.1f}%  {name}" for name, _, pct in summary[key])
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    print(format_summary(summarise(args.path, args.top)))


if __name__ == "__main__":
    main()
