"""How a background loop lives through its database being away: it never dies, it says so
once, waits longer between tries (capped, jittered, so a fleet of processes does not knock
on a restarting server in step) and says so again when it is back.

A failure that is not an outage (a bug) is still logged with its traceback every time.
"""

from __future__ import annotations

import logging

from redis.backoff import EqualJitterBackoff

from persistence.database import DATABASE_DOWN

log = logging.getLogger(__name__)


class WorkerOutage:
    """One worker's run of failed passes. ``failed`` after a pass raised, ``succeeded``
    after one went through; ``failed`` returns how long to wait before the next try."""

    def __init__(self, worker: str, *, cap: float = 5.0, base: float = 0.1) -> None:
        self.worker = worker
        self.failures = 0
        """Failed passes since the last one that went through (0: not in an outage)."""
        self.outages = 0
        """How many runs of failures this worker has come through or is in."""
        self._backoff = EqualJitterBackoff(cap=cap, base=base)

    @property
    def ongoing(self) -> bool:
        return self.failures > 0

    def failed(self, exc: BaseException) -> float:
        self.failures += 1
        if self.failures == 1:
            self.outages += 1
        if isinstance(exc, DATABASE_DOWN):
            if self.failures == 1:
                log.warning("%s: database unavailable (%r); backing off", self.worker, exc)
        else:
            log.error("%s failed; retrying", self.worker, exc_info=exc)
        return float(self._backoff.compute(self.failures))

    def succeeded(self) -> None:
        if self.failures:
            log.warning("%s: resumed after %d failed tries", self.worker, self.failures)
        self.failures = 0
