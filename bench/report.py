"""Render a results.json of ``bench.run`` as the Markdown tables of docs/benchmarks.md.

.venv/bin/python -m bench.report bench/results/latest.json
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def _n(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(summary: dict[str, Any]) -> str:
    lines = [
        "| workload | server | conns | published | expected | received | lost "
        "| delivered/s | p50 ms | p99 ms | max ms | KiB/conn | server CPU µs/delivery "
        "| server CPU % |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in summary["results"]:
        if "error" in r:
            lines.append(f"| {r['workload']} | {r['target']} | failed: {r['error']} |")
            continue
        lat = r.get("latency_ms", {})
        lines.append(
            f"| {r['workload']} | {r['target']} | {_n(r['connected'])} | {_n(r.get('published'))} "
            f"| {_n(r.get('expected'))} | {_n(r.get('received'))} | {_n(r.get('lost'))} "
            f"| {_n(r.get('delivered_per_s'))} | {_n(lat.get('p50'), 1)} "
            f"| {_n(lat.get('p99'), 1)} | {_n(lat.get('max'), 1)} "
            f"| {_n(r['mem_per_conn_kib'], 1)} | {_n(r.get('server_cpu_us_per_delivery'), 1)} "
            f"| {_n(r.get('server_cpu_pct'))} |"
        )
    lines += [
        "",
        "| workload | delivered/s | p99 | memory/conn | CPU/delivery | targets |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for row in summary["ratios"]:
        verdicts = "; ".join(
            f"{name} {'met' if ok else '**missed**'}" for name, ok in row["checks"].items()
        )
        lines.append(
            f"| {row['workload']} | {_n(row.get('delivered_ratio'), 2)}x "
            f"| {_n(row.get('p99_ratio'), 2)}x | {_n(row.get('mem_ratio'), 2)}x "
            f"| {_n(row.get('cpu_per_delivery_ratio'), 2)}x | {verdicts} |"
        )
    return "\n".join(lines).replace("| -x", "| -")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    args = parser.parse_args()
    with open(args.path, encoding="utf-8") as handle:
        print(render(json.load(handle)))


if __name__ == "__main__":
    main()
