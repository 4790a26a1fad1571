"""Query probe for `bench.api`: the benchmark puts this directory on the Washline server's
PYTHONPATH, so the server (unchanged) counts the SQL statements its engines execute and the
new DBAPI connections its pools open, and writes both as JSON to
``$WASHLINE_BENCH_QUERYPROBE`` on each SIGUSR1. One event-listener call per statement is its
whole cost."""

from __future__ import annotations

import os

_path = os.environ.get("WASHLINE_BENCH_QUERYPROBE")
if _path:
    import json
    import signal
    from typing import Any

    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    _counts = {"queries": 0, "connects": 0}

    def _query(*_args: Any, **_kwargs: Any) -> None:
        _counts["queries"] += 1

    def _connect(*_args: Any, **_kwargs: Any) -> None:
        _counts["connects"] += 1

    event.listen(Engine, "before_cursor_execute", _query)
    event.listen(Pool, "connect", _connect)

    def _dump(_signum: int, _frame: object) -> None:
        with open(_path + ".tmp", "w") as handle:
            json.dump(_counts, handle)
        os.replace(_path + ".tmp", _path)

    signal.signal(signal.SIGUSR1, _dump)
