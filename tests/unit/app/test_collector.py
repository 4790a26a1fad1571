"""`app.collector.settle_after_start`: what exists at start-up is frozen out of every later
collection, and full collections are spaced; young ones are left as they were."""

from __future__ import annotations

import gc

from app.collector import FULL_EVERY, settle_after_start


def test_settling_freezes_the_start_up_heap_and_spaces_full_collections() -> None:
    before = gc.get_threshold()
    try:
        settle_after_start()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (before[0], before[1], FULL_EVERY)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
