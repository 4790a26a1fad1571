"""Memory probe for benchmark diagnosis only: ``bench.run --memprobe`` puts this directory on
the server's PYTHONPATH, so the server (unchanged) starts tracemalloc and dumps a snapshot
to ``$WASHLINE_BENCH_TRACEMALLOC.<n>.snap`` on each SIGUSR1. Never used in measured runs:
tracing costs CPU and memory of its own."""

from __future__ import annotations

import os

_prefix = os.environ.get("WASHLINE_BENCH_TRACEMALLOC")
if _prefix:
    import signal
    import tracemalloc

    tracemalloc.start(int(os.environ.get("WASHLINE_BENCH_TRACEMALLOC_FRAMES", "12")))
    _count = [0]

    def _dump(_signum: int, _frame: object) -> None:
        _count[0] += 1
        tracemalloc.take_snapshot().dump(f"{_prefix}.{_count[0]}.snap")

    signal.signal(signal.SIGUSR1, _dump)
