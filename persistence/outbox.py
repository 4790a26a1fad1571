"""The transactional outbox: events committed with the change that caused them.

`mark_outbox_dirty` flags a session that wrote outbox rows; after its commit, every
registered waker runs, so the relay in this process publishes at once instead of at its next
poll. Wakers must be cheap and must not touch the database (they run inside commit).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from persistence.models import OutboxEvent

_DIRTY = "washline.outbox_dirty"
_wakers: set[Callable[[], None]] = set()


def mark_outbox_dirty(session: AsyncSession) -> None:
    session.sync_session.info[_DIRTY] = True


def wake_after_commit(session: AsyncSession) -> None:
    """Run the wakers after this session's commit although it may write no outbox row: for
    a change a background loop should act on at once (a declined offer frees its order for
    dispatch). The relay, woken too, finds nothing new and sleeps again."""
    mark_outbox_dirty(session)


def add_commit_waker(waker: Callable[[], None]) -> None:
    _wakers.add(waker)


def remove_commit_waker(waker: Callable[[], None]) -> None:
    _wakers.discard(waker)


class CommitSignal:
    """Wakes one background loop after every outbox commit in this process.

    Commits may happen on the loop's own thread or, in tools and tests, on another loop:
    the flag is set thread-safely on the loop that waits on it. Armed by `attach` (from
    that loop) and disarmed by `detach`.
    """

    def __init__(self) -> None:
        self._flag = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self) -> None:
        self._loop = asyncio.get_running_loop()
        add_commit_waker(self.set)

    def detach(self) -> None:
        remove_commit_waker(self.set)
        self._loop = None

    def set(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._flag.set()
        else:
            loop.call_soon_threadsafe(self._flag.set)

    async def wait(self, seconds: float) -> None:
        """Until the next commit or `seconds` pass, whichever comes first; then re-arm."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._flag.wait(), seconds)
        self._flag.clear()


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    if session.info.pop(_DIRTY, False):
        for waker in list(_wakers):
            waker()


@event.listens_for(Session, "after_rollback")
def _forget_dirty(session: Session) -> None:
    session.info.pop(_DIRTY, None)


async def unpublished(session: AsyncSession, limit: int) -> list[OutboxEvent]:
    """The oldest unpublished rows, in commit order of their ids."""
    rows = await session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    return list(rows)


async def mark_published(session: AsyncSession, ids: list[int], now: datetime) -> None:
    if ids:
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(published_at=now)
        )


async def stored_events_after(
    session: AsyncSession, topic: str, aggregate_id: int, after: int, limit: int
) -> list[OutboxEvent]:
    """The events of one aggregate (an order, its chat) after sequence ``after``, as they
    were committed: the payload and time published, however the rows have changed since."""
    rows = await session.scalars(
        select(OutboxEvent)
        .where(
            OutboxEvent.topic == topic,
            OutboxEvent.aggregate_id == aggregate_id,
            OutboxEvent.seq > after,
        )
        .order_by(OutboxEvent.seq)
        .limit(limit)
    )
    return list(rows)
