"""The retention purge: personal data past its retention period goes, in bounded batches.

Each batch is its own short transaction (at most `BATCH` rows), so no purge holds locks long
enough to stall the application, however much has piled up. On PostgreSQL every batch takes
a transaction-scoped advisory lock first; a process that does not get it stops its run,
since another process is purging: one process at a time across pods. Rows purged are
counted in `washline_retention_purged_total{kind}`.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import structlog
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from domain.retention import (
    UNUSED_QUOTE_DAYS,
    RetainedKind,
    RetentionPolicy,
    ended_access_days,
)
from persistence.locks import take_turn
from persistence.retention import purge_oldest

log = structlog.get_logger("washline.retention")
BATCH = 500
FIRST_RUN_DELAY_SECONDS = 60.0
RETENTION_LOCK_KEY = 0x5741_5250  # "WARP": the advisory lock every purge competes for
PURGED = Counter(
    "retention_purged", "Rows purged past their retention period.", ["kind"], namespace="washline"
)


def retention_policy(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        days={
            RetainedKind.TRACK_POINTS: settings.retention_track_points_days,
            RetainedKind.CHAT_BODIES: settings.retention_chat_days,
            RetainedKind.NOTIFICATIONS: settings.retention_notifications_days,
            RetainedKind.UNUSED_QUOTES: UNUSED_QUOTE_DAYS,
            RetainedKind.ENDED_ACCESS: ended_access_days(settings.access_token_ttl_seconds),
        }
    )


class RetentionPurge:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        policy: RetentionPolicy,
        *,
        uses_advisory_lock: bool,
        interval: float = 3600.0,
    ) -> None:
        self._session_factory = session_factory
        self._policy = policy
        self._uses_advisory_lock = uses_advisory_lock
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        # A process just started has more urgent work; the first run waits a little.
        await asyncio.sleep(min(self._interval, FIRST_RUN_DELAY_SECONDS))
        while True:
            try:
                purged = await self.purge()
                if any(purged.values()):
                    log.info("retention purge", **purged)
            except Exception:
                log.exception("retention purge failed")
            await asyncio.sleep(self._interval)

    async def purge(self, now: datetime | None = None) -> dict[str, int]:
        """One run over every kind; how many rows of each were purged."""
        counts: dict[str, int] = {}
        for kind, cutoff in self._policy.cutoffs(now or datetime.now(UTC)).items():
            counts[kind.value] = 0
            while True:
                done = await self._batch(kind, cutoff)
                if done is None:
                    return counts  # another process is purging
                counts[kind.value] += done
                PURGED.labels(kind.value).inc(done)
                if done < BATCH:
                    break
        return counts

    async def _batch(self, kind: RetainedKind, cutoff: datetime) -> int | None:
        """Purge up to `BATCH` rows of `kind`; None when another process holds the lock."""
        async with self._session_factory() as session, session.begin():
            if self._uses_advisory_lock and not await take_turn(session, RETENTION_LOCK_KEY):
                return None
            return await purge_oldest(session, kind, cutoff, BATCH)
