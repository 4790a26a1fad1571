"""Who is connected to a channel, kept alive by a per-process heartbeat.

Entries carry an expiry rather than being removed only on disconnect: when a process dies
without saying goodbye its heartbeat stops and its entries lapse on their own. Washers'
online state is presence on :data:`WASHERS_ONLINE`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from realtime.broker import BrokerUnavailable
from realtime.envelope import utc_now_iso

log = logging.getLogger(__name__)

WASHERS_ONLINE = "presence:washers"
"""The well-known presence key listing washers whose app is connected."""


class PresenceStore(Protocol):
    async def put(self, key: str, client_id: str, info: dict[str, Any], ttl: float) -> None:
        """Add or refresh ``client_id`` for ``ttl`` seconds."""

    async def put_many(self, entries: list[tuple[str, str, dict[str, Any]]], ttl: float) -> None:
        """`put` of each ``(key, client_id, info)``, in as few round trips as the store can."""

    async def remove(self, key: str, client_id: str) -> None: ...

    async def members(self, key: str) -> dict[str, dict[str, Any]]:
        """Unexpired members and their info."""
        ...


class MemoryPresence:
    """Presence inside one process (the embedded mode)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, dict[str, tuple[float, dict[str, Any]]]] = {}

    async def put(self, key: str, client_id: str, info: dict[str, Any], ttl: float) -> None:
        self._entries.setdefault(key, {})[client_id] = (self._clock() + ttl, info)

    async def put_many(self, entries: list[tuple[str, str, dict[str, Any]]], ttl: float) -> None:
        for key, client_id, info in entries:
            await self.put(key, client_id, info, ttl)

    async def remove(self, key: str, client_id: str) -> None:
        entries = self._entries.get(key)
        if entries is not None:
            entries.pop(client_id, None)
            if not entries:
                del self._entries[key]

    async def members(self, key: str) -> dict[str, dict[str, Any]]:
        entries = self._entries.get(key, {})
        now = self._clock()
        for client_id in [c for c, (expires, _) in entries.items() if expires <= now]:
            del entries[client_id]
        return {client_id: dict(info) for client_id, (_, info) in entries.items()}


class PresenceTracker:
    """This process's own presence entries, refreshed every ``ttl / 3`` seconds.

    A refresh that fails (Redis down) is retried on the next beat; entries elsewhere may
    lapse meanwhile, which is the honest answer while this process cannot vouch for them.
    """

    def __init__(self, store: PresenceStore, *, ttl: float = 30.0) -> None:
        self.store = store
        self.ttl = ttl
        self._local: dict[tuple[str, str], dict[str, Any]] = {}
        self._task: asyncio.Task[None] | None = None

    async def join(self, key: str, client_id: str, info: dict[str, Any] | None = None) -> None:
        # Not copied: a connection's one info dict serves all its keys (never mutated).
        entry = info if info is not None else {}
        self._local[(key, client_id)] = entry
        with contextlib.suppress(BrokerUnavailable):
            await self.store.put(key, client_id, entry, self.ttl)

    async def leave(self, key: str, client_id: str) -> None:
        self._local.pop((key, client_id), None)
        with contextlib.suppress(BrokerUnavailable):
            await self.store.remove(key, client_id)

    async def members(self, key: str) -> dict[str, dict[str, Any]]:
        return await self.store.members(key)

    async def refresh(self) -> None:
        """One heartbeat: re-put every local entry (batched by the store)."""
        entries = [(key, client_id, info) for (key, client_id), info in self._local.items()]
        if entries:
            await self.store.put_many(entries, self.ttl)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._beat(), name="presence-heartbeat")

    async def stop(self) -> None:
        """Stop beating and remove this process's entries (a graceful shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for key, client_id in list(self._local):
            await self.leave(key, client_id)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await self.refresh()
            except BrokerUnavailable as exc:
                log.warning("presence heartbeat failed: %s", exc)


class ConnectionPresence:
    """One live connection's presence entries; ``leave_all`` when it ends.

    ``client_id`` is per connection, so a user connected twice (two tabs, two pods) is listed
    twice and stays listed until the last connection goes.
    """

    __slots__ = ("_keys", "_tracker", "client_id", "info")

    def __init__(self, tracker: PresenceTracker, user_id: int, role: str, transport: str) -> None:
        self._tracker = tracker
        self.client_id = f"{user_id}:{uuid.uuid4().hex[:12]}"
        self.info: dict[str, Any] = {
            "user_id": user_id,
            "role": role,
            "transport": transport,
            "connected_at": utc_now_iso(),
        }
        self._keys: set[str] = set()

    async def join(self, key: str) -> None:
        self._keys.add(key)
        await self._tracker.join(key, self.client_id, self.info)

    async def leave(self, key: str) -> None:
        if key in self._keys:
            self._keys.discard(key)
            await self._tracker.leave(key, self.client_id)

    async def leave_all(self) -> None:
        for key in list(self._keys):
            await self.leave(key)
