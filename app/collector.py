"""The cyclic garbage collector, set for a process that holds thousands of live sockets.

A full collection walks every tracked object of the process: the app itself (modules, the
ORM's mappers, Litestar's routes) and each connection's protocol, session, tasks and
futures. At 2,000 sockets and 1,000 location fixes/s that was ~200,000 objects and
175-210 ms of CPU per full collection, every 2-10 s, with the event loop stopped
meanwhile: the periodic stalls behind the location benchmark's p99 (docs/benchmarks.md,
"Location ingest, second round"). So, once the app has started:

- what exists then is frozen (`gc.freeze`): it lives as long as the process and is never
  garbage, so no collection walks it again;
- a full collection may run at most once per `FULL_EVERY` collections of the middle
  generation (CPython's default is 10), still only when a quarter of the long-lived objects
  is new since the last one. Young objects are collected as before; cyclic garbage that
  reached the oldest generation waits longer for its collection, which costs memory for a
  while, never correctness.
"""

from __future__ import annotations

import gc

FULL_EVERY = 100
"""Collections of the middle generation between two full collections, at most."""


def settle_after_start() -> None:
    """Freeze what start-up made and space full collections (see the module doc)."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_EVERY)
