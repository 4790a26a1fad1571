"""The transactional outbox: events committed with the change that caused them.

`mark_outbox_dirty` flags a session that wrote outbox rows; after its commit, every
registered waker runs, so the relay in this process publishes at once instead of at its next
poll. Wakers must be cheap and must not touch the database (they run inside commit).

Dispatch has a topic of its own (`DISPATCH`, flagged by `wake_dispatch_after_commit`): most
commits (chat, notifications, track) write outbox rows but cannot change who should be
offered what, and a sweep after each of them cost about half the server's CPU under a
realistic request mix.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeAlias, TypedDict, Unpack, cast

from sqlalchemy import Row, Table, bindparam, event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from persistence.models import OutboxEvent
from realtime.tracing import current_traceparent

OUTBOX = "washline.outbox_dirty"
"""Topic: the session wrote outbox rows (the relay publishes them)."""
DISPATCH = "washline.dispatch_dirty"
"""Topic: the session changed what dispatch acts on (an order created, released or freeing
its washer; a washer going on duty or coming back)."""
_TOPICS = (OUTBOX, DISPATCH)
_wakers: dict[str, set[Callable[[], None]]] = {topic: set() for topic in _TOPICS}


def mark_outbox_dirty(session: AsyncSession) -> None:
    session.sync_session.info[OUTBOX] = True


def wake_dispatch_after_commit(session: AsyncSession) -> None:
    """Wake dispatch after this session's commit (see `DISPATCH`)."""
    session.sync_session.info[DISPATCH] = True


def wake_after_commit(session: AsyncSession) -> None:
    """Run every waker after this session's commit although it may write no outbox row: for
    a change a background loop should act on at once (a declined offer frees its order for
    dispatch). The relay, woken too, finds nothing new and sleeps again."""
    mark_outbox_dirty(session)
    wake_dispatch_after_commit(session)


def add_commit_waker(waker: Callable[[], None], topic: str = OUTBOX) -> None:
    _wakers[topic].add(waker)


def remove_commit_waker(waker: Callable[[], None], topic: str = OUTBOX) -> None:
    _wakers[topic].discard(waker)


class CommitSignal:
    """Wakes one background loop after every commit of its topic in this process.

    Commits may happen on the loop's own thread or, in tools and tests, on another loop:
    the flag is set thread-safely on the loop that waits on it. Armed by `attach` (from
    that loop) and disarmed by `detach`.
    """

    def __init__(self, topic: str = OUTBOX) -> None:
        self._topic = topic
        self._flag = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self) -> None:
        self._loop = asyncio.get_running_loop()
        add_commit_waker(self.set, self._topic)

    def detach(self) -> None:
        remove_commit_waker(self.set, self._topic)
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

    async def wait(self, seconds: float) -> bool:
        """Until the next commit or `seconds` pass, whichever comes first; then re-arm.
        True when a commit woke it."""
        woken = False
        # `asyncio.timeout`, not `wait_for`: on Python 3.11 `wait_for` loses a cancellation
        # that lands as the flag is set, and a worker stopped at that moment never ends.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._flag.wait()
            woken = True
        self._flag.clear()
        return woken

    def clear(self) -> None:
        """Forget commits signalled so far (a debounced loop about to act on all of them)."""
        self._flag.clear()


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    for topic in _TOPICS:
        if session.info.pop(topic, False):
            for waker in list(_wakers[topic]):
                waker()


@event.listens_for(Session, "after_rollback")
def _forget_dirty(session: Session) -> None:
    for topic in _TOPICS:
        session.info.pop(topic, None)


class OutboxFields(TypedDict):
    """What the writer of an outbox row says; `outbox_values` adds the rest."""

    topic: str
    aggregate_id: int
    seq: int
    event_type: str
    payload: dict[str, Any]
    created_at: datetime


def append(session: AsyncSession, **fields: Unpack[OutboxFields]) -> OutboxEvent:
    """Add one event to the caller's transaction and wake the relay after its commit.
    The caller commits."""
    row = OutboxEvent(**outbox_values(**fields))
    session.add(row)
    mark_outbox_dirty(session)
    return row


def outbox_values(**fields: Unpack[OutboxFields]) -> dict[str, Any]:
    """The columns of one outbox row, for `append` (ORM) and `insert_outbox_rows` (Core).

    The one place an outbox row is built, so every event carries the same things: the
    `traceparent` of the request or job committing it (the relay's publish joins that trace)
    and the commit's time, stamped on every publish."""
    return {**fields, "trace_context": current_traceparent()}


_outbox = cast(Table, OutboxEvent.__table__)
_INSERT_OUTBOX = insert(_outbox)


async def insert_outbox_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Write rows of `outbox_values` in the caller's transaction as one Core statement (no
    unit of work), and wake the relay after its commit, as `append` does. No rows, no
    statement (an empty parameter list would insert one row of defaults)."""
    if not rows:
        return
    conn = await session.connection()
    await conn.execute(_INSERT_OUTBOX, rows)
    mark_outbox_dirty(session)


OutboxRow: TypeAlias = Row[*tuple[Any, ...]]
"""A row of the `outbox_event` table's columns, as the relay reads it."""

_UNPUBLISHED = (
    select(*_outbox.c)
    .where(_outbox.c.published_at.is_(None))
    .order_by(_outbox.c.id)
    .limit(bindparam("limit"))
)
_MARK_PUBLISHED = (
    update(_outbox)
    .where(_outbox.c.id.in_(bindparam("ids", expanding=True)))
    .values(published_at=bindparam("now"))
)
"""The relay's two statements, built once (the relay runs after nearly every commit: built
per call, their cache keys alone were a visible share of its time)."""


async def unpublished(session: AsyncSession, limit: int) -> list[OutboxRow]:
    """The oldest unpublished rows, in commit order of their ids, as plain rows."""
    conn = await session.connection()
    return list((await conn.execute(_UNPUBLISHED, {"limit": limit})).all())


async def mark_published(session: AsyncSession, ids: list[int], now: datetime) -> None:
    if ids:
        conn = await session.connection()
        await conn.execute(_MARK_PUBLISHED, {"ids": ids, "now": now})


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
