"""What the hub needs from a broker: atomic publish-with-history, history reads and live
listening, with the same semantics in memory and on Redis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from realtime.envelope import Envelope, StreamPosition, format_id

Listener = Callable[[Envelope], None]
"""Called for every live event of a channel. Must not block or await: the broker's single
reader calls every listener in turn, so a slow listener would delay every channel."""


class BrokerUnavailable(Exception):
    """The broker's backing store cannot be reached right now; the caller keeps the event
    (the outbox retries) and the live side catches up by resume once it is back."""


class BrokerEvents(Protocol):
    """The hub's side of a broker's connection lifecycle."""

    def on_broker_disconnected(self) -> None:
        """Live events may be missed from now on: buffer, do not deliver past a gap."""

    def on_broker_reconnected(self) -> None:
        """Every channel is listened to again: resume each subscriber from its position."""


@dataclass(slots=True)
class HistoryPage:
    """Events after ``since`` and whether they are everything after it.

    ``covered`` false means events after ``since`` were lost (trimmed, expired, or the
    history was recreated under a new epoch): the caller must not pretend otherwise.
    ``top`` is the channel's latest id, the position a client starts from when it has
    none, or ``None`` when unknown (a database-backed channel Redis knows nothing about).
    For a lossy channel that is not covered, ``events`` holds the newest retained events
    instead: latest wins, so they are the channel's state and no reset is needed.
    ``floor`` is the id just before the oldest event the history still holds (``top`` when
    it holds none): a reset points there, so the events that follow it, including any the
    current epoch gained before the reset was sent, are delivered instead of skipped.
    """

    events: list[Envelope] = field(default_factory=list)
    covered: bool = True
    top: str | None = None
    floor: str | None = None


def history_covers(
    since: StreamPosition,
    *,
    database_backed: bool,
    epoch: str,
    top: int | None,
    first: int | None,
) -> bool:
    """Whether a history whose oldest retained offset is ``first`` and newest ``top``
    holds every event after ``since``.

    Offsets only grow, so nothing can hide between ``since`` and ``first`` when
    ``since >= first - 1``; this holds even where database sequences skip numbers.
    """
    if not database_backed and since.epoch != epoch:
        return False
    if database_backed and since.epoch:
        return False
    if top is None:
        return False
    if not database_backed and since.offset > top:
        return False
    if first is None:
        return since.offset >= top
    return since.offset >= first - 1


def top_id(top: int | None, epoch: str, database_backed: bool) -> str | None:
    if top is None or (database_backed and top == 0):
        return None
    return format_id(top, "" if database_backed else epoch)


def floor_id(first: int | None, top: int | None, epoch: str, database_backed: bool) -> str | None:
    """The id a reader starts from to receive every retained event: just before ``first``."""
    if first is None:
        return top_id(top, epoch, database_backed)
    return format_id(first - 1, "" if database_backed else epoch)


class Broker(Protocol):
    """Publish, history and live listening; see ``MemoryBroker`` and ``RedisBroker``."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def set_events(self, events: BrokerEvents | None) -> None:
        """Who to tell about connection loss and recovery (the process's hub)."""

    async def publish(
        self,
        channel: str,
        event: str,
        data: Any,
        *,
        offset: int | None = None,
        ts: str | None = None,
    ) -> Envelope:
        """Append to the channel's bounded history and publish live in one atomic step.

        ``ts`` stamps the event (default: now); the relay passes the time the event was
        committed, so a republished or database-served event is the same event, byte for byte.

        ``offset`` is required for database-backed channels (the database sequence) and
        refused for the others. Re-publishing an offset the history holds publishes live
        again (at-least-once) without duplicating or reordering history.
        Raises ``BrokerUnavailable``.
        """
        ...

    async def publish_ephemeral(self, channel: str, event: str, data: Any) -> Envelope:
        """Deliver live only: no history, no id (``""``), nothing to resume (typing
        indicators). Raises ``BrokerUnavailable``."""
        ...

    async def history(self, channel: str, since: str | None, limit: int) -> HistoryPage:
        """Up to ``limit`` events after ``since`` (none when ``since`` is None, which only
        asks for ``top``). Raises ``BrokerUnavailable`` or ``ValueError`` for a bad id."""
        ...

    async def listen(self, channel: str, listener: Listener) -> None:
        """Start calling ``listener`` for live events; returns once delivery is active, so
        a history read after it cannot miss an event. Raises ``BrokerUnavailable`` while
        disconnected; the listener stays registered and is active after reconnection."""
        ...

    async def unlisten(self, channel: str, listener: Listener) -> None: ...

    async def ping(self) -> bool:
        """Readiness: whether publish and history would work now."""
        ...
