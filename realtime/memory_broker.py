"""The embedded broker: history and live fan-out inside one process.

Same semantics as ``RedisBroker`` (ids, epochs, bounded history with TTL, coverage) so the
embedded mode behaves like production except that it cannot cross processes.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from realtime import metrics
from realtime.broker import (
    BrokerEvents,
    HistoryPage,
    Listener,
    floor_id,
    history_covers,
    top_id,
)
from realtime.channel_traits import ChannelClassifier, domain_traits
from realtime.envelope import EPHEMERAL_ID, Envelope, format_id, parse_id
from realtime.tracing import current_traceparent


def new_epoch() -> str:
    """A short token naming one incarnation of a channel's history."""
    return secrets.token_hex(3)


@dataclass(slots=True)
class _History:
    epoch: str
    top: int = 0
    entries: deque[tuple[int, Envelope]] = field(default_factory=deque)
    entries_expire_at: float = 0.0
    meta_expire_at: float = 0.0


class MemoryBroker:
    """In-process broker. ``history_ttl`` bounds how long events stay retained after the
    last publish; ``meta_ttl`` how long a channel's position and epoch outlive them, so an
    up-to-date client of a quiet channel still resumes without a reset."""

    def __init__(
        self,
        *,
        history_size: int = 100,
        lossy_history_size: int = 1,
        history_ttl: float = 3600.0,
        meta_ttl: float = 86400.0,
        classify: ChannelClassifier = domain_traits,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._history_size = history_size
        self._lossy_history_size = lossy_history_size
        self._history_ttl = history_ttl
        self._meta_ttl = max(meta_ttl, history_ttl)
        self._classify = classify
        self._clock = clock
        self._histories: dict[str, _History] = {}
        self._listeners: dict[str, list[Listener]] = {}
        self._events: BrokerEvents | None = None

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._listeners.clear()

    def set_events(self, events: BrokerEvents | None) -> None:
        self._events = events

    async def ping(self) -> bool:
        return True

    def _live_history(self, channel: str) -> _History | None:
        history = self._histories.get(channel)
        if history is None:
            return None
        now = self._clock()
        if history.meta_expire_at <= now:
            del self._histories[channel]
            return None
        if history.entries_expire_at <= now:
            history.entries.clear()
        return history

    async def publish(
        self,
        channel: str,
        event: str,
        data: Any,
        *,
        offset: int | None = None,
        ts: str | None = None,
    ) -> Envelope:
        traits = self._classify(channel)
        if traits.database_backed != (offset is not None):
            raise ValueError(f"{channel}: offset is required exactly for database-backed channels")
        history = self._live_history(channel)
        if history is None:
            epoch = "" if offset is not None else new_epoch()
            history = self._histories[channel] = _History(epoch=epoch)
        size = self._lossy_history_size if traits.lossy else self._history_size
        if offset is None:
            history.top += 1
            top = format_id(history.top, history.epoch)
            envelope = Envelope.create(channel, top, event, data, ts, current_traceparent())
            self._append(history, history.top, envelope, size)
        else:
            envelope = Envelope.create(
                channel, format_id(offset), event, data, ts, current_traceparent()
            )
            if offset > history.top:
                history.top = offset
                self._append(history, offset, envelope, size)
            elif (
                history.entries
                and offset > history.entries[0][0]
                and not any(held == offset for held, _ in history.entries)
            ):
                history.entries.clear()  # a late, out-of-order event: the cache has a hole
        now = self._clock()
        history.entries_expire_at = now + self._history_ttl
        history.meta_expire_at = now + self._meta_ttl
        metrics.EVENTS_PUBLISHED.inc()
        for listener in self._listeners.get(channel, ()):
            listener(envelope)
        return envelope

    async def publish_ephemeral(self, channel: str, event: str, data: Any) -> Envelope:
        self._classify(channel)
        envelope = Envelope.create(channel, EPHEMERAL_ID, event, data)
        for listener in self._listeners.get(channel, ()):
            listener(envelope)
        return envelope

    @staticmethod
    def _append(history: _History, offset: int, envelope: Envelope, size: int) -> None:
        history.entries.append((offset, envelope))
        while len(history.entries) > size:
            history.entries.popleft()

    async def history(self, channel: str, since: str | None, limit: int) -> HistoryPage:
        traits = self._classify(channel)
        position = parse_id(since) if since is not None else None
        history = self._live_history(channel)
        if history is None and not traits.database_backed:
            history = self._histories[channel] = _History(epoch=new_epoch())
            history.meta_expire_at = self._clock() + self._meta_ttl
        epoch = history.epoch if history else ""
        top = history.top if history else None
        first = history.entries[0][0] if history and history.entries else None
        page = HistoryPage(
            top=top_id(top, epoch, traits.database_backed),
            floor=floor_id(first, top, epoch, traits.database_backed),
        )
        if position is None or history is None:
            page.covered = position is None
            return page
        page.covered = history_covers(
            position, database_backed=traits.database_backed, epoch=epoch, top=top, first=first
        )
        if page.covered:
            page.events = [env for off, env in history.entries if off > position.offset][:limit]
        elif traits.lossy and limit > 0:
            page.events = [env for _, env in history.entries][-limit:]
        return page

    async def listen(self, channel: str, listener: Listener) -> None:
        listeners = self._listeners.setdefault(channel, [])
        if listener not in listeners:
            listeners.append(listener)

    async def unlisten(self, channel: str, listener: Listener) -> None:
        listeners = self._listeners.get(channel)
        if listeners and listener in listeners:
            listeners.remove(listener)
            if not listeners:
                del self._listeners[channel]

    @property
    def listened_channels(self) -> int:
        return len(self._listeners)

    def restart(self) -> None:
        """Lose every history and tell the hub it reconnected, as a Redis restart would;
        lets the embedded mode and tests exercise the resume-after-outage path."""
        self._histories.clear()
        if self._events is not None:
            self._events.on_broker_disconnected()
            self._events.on_broker_reconnected()
