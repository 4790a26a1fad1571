"""This process's live sessions, and the order facts their access was decided on.

Every order event reaches every process on ``ops`` (the relay publishes each one there), and
its data carries the facts the access rule reads: status, customer and washer. So when an
order is assigned, released, completed or cancelled, each process re-decides access for its
own sessions that watch that order, from the event alone: no database query, and within the
time an event takes to cross Redis. Changes are applied one at a time, in arrival order, so
a release followed at once by a new assignment cannot be applied the wrong way round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

from domain.orders import OrderFacts, OrderStatus
from realtime import protocol
from realtime.close_codes import TOO_MANY_CONNECTIONS, UNAUTHORIZED
from realtime.control import AccessEnded
from realtime.envelope import Envelope
from realtime.session import LiveSession

log = logging.getLogger(__name__)

ACCESS_REVOKED_MESSAGE = "this session has ended (revoked, signed out, or the account changed)"


def facts_from_order_event(data: Any) -> OrderFacts | None:
    """The facts an order event carries, or None when it is not a well-formed order event."""
    if not isinstance(data, dict):
        return None
    try:
        washer_id = data.get("washer_id")
        return OrderFacts(
            order_id=int(data["order_id"]),
            status=OrderStatus(data["status"]),
            customer_id=int(data["customer_id"]),
            washer_id=int(washer_id) if washer_id is not None else None,
            seq=int(data.get("seq") or 0),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _decrement(counter: Counter[Any], key: Any) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]


class LiveSessions:
    """The sessions of one process; ``start`` before the first, ``stop`` after the last."""

    def __init__(self, *, max_per_user: int = 0, max_per_address: int = 0) -> None:
        self.max_per_user = max_per_user
        self.max_per_address = max_per_address
        """Connections one user (one client address) may hold in this process; 0: no cap."""
        self._per_user: Counter[int] = Counter()
        self._per_address: Counter[str] = Counter()
        self._sessions: set[LiveSession] = set()
        self._watchers: dict[int, set[LiveSession]] = {}
        self._newest: dict[int, int] = {}
        """Per watched order, the newest event sequence its facts are known at."""
        self._watched: dict[LiveSession, set[int]] = {}
        self._changes: asyncio.Queue[OrderFacts] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._ended: tuple[int, str] | None = None

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[LiveSession]:
        return iter(list(self._sessions))

    def refusal(self, user_id: int, address: str | None) -> str | None:
        """Why a new connection of ``user_id`` from ``address`` would be over a cap, if so."""
        if self.max_per_user and self._per_user[user_id] >= self.max_per_user:
            return f"at most {self.max_per_user} live connections per user"
        if address and self.max_per_address and self._per_address[address] >= self.max_per_address:
            return f"at most {self.max_per_address} live connections per address"
        return None

    def add(self, session: LiveSession) -> bool:
        """Register an opening session, or refuse it: after :meth:`end_all` it is closed at
        once, over a cap it is ended with ``too_many_connections`` (False either way)."""
        if self._ended is not None:
            session.subscriber.close(*self._ended)
            return False
        refusal = self.refusal(session.principal.id, session.address)
        if refusal is not None:
            frame = protocol.error("too_many_connections", refusal)
            session.end(TOO_MANY_CONNECTIONS, "too many connections", frame)
            return False
        self._sessions.add(session)
        self._per_user[session.principal.id] += 1
        if session.address:
            self._per_address[session.address] += 1
        return True

    def discard(self, session: LiveSession) -> None:
        if session in self._sessions:
            self._sessions.discard(session)
            _decrement(self._per_user, session.principal.id)
            if session.address:
                _decrement(self._per_address, session.address)
        for order_id in self._watched.pop(session, ()):
            self._forget(session, order_id)

    def watch(self, session: LiveSession, order_id: int) -> None:
        """From now on, changes of ``order_id`` reach ``session.on_order_changed``."""
        self._watchers.setdefault(order_id, set()).add(session)
        self._watched.setdefault(session, set()).add(order_id)

    def unwatch(self, session: LiveSession, order_id: int) -> None:
        watched = self._watched.get(session)
        if watched is not None:
            watched.discard(order_id)
            if not watched:
                del self._watched[session]
        self._forget(session, order_id)

    def watchers(self, order_id: int) -> int:
        """How many sessions watch ``order_id`` (for tests and metrics)."""
        return len(self._watchers.get(order_id, ()))

    def _forget(self, session: LiveSession, order_id: int) -> None:
        watchers = self._watchers.get(order_id)
        if watchers is not None:
            watchers.discard(session)
            if not watchers:
                del self._watchers[order_id]
                self._newest.pop(order_id, None)

    def on_ops_event(self, envelope: Envelope) -> None:
        """Broker listener on ``ops``: queue the facts of order events someone here watches."""
        if not envelope.event.startswith("order."):
            return
        facts = facts_from_order_event(envelope.data)
        if facts is not None:
            self.order_changed(facts)

    def order_changed(self, facts: OrderFacts) -> None:
        """Apply new facts of an order (what :meth:`on_ops_event` does for each event).

        Events reach `ops` through the outbox relay, after the commit: a session that read
        the order from the database meanwhile already decided on newer facts. An event no
        newer than what is known here is stale and ignored; applied, it would revoke a
        washer's access on the strength of the order as it was before the assignment."""
        if facts.order_id not in self._watchers:
            return
        if facts.seq and facts.seq <= self._newest.get(facts.order_id, 0):
            return
        self.noted(facts)
        self._changes.put_nowait(facts)

    def noted(self, facts: OrderFacts) -> None:
        """Remember the newest sequence known of a watched order (also from database reads)."""
        if facts.order_id in self._watchers and facts.seq > self._newest.get(facts.order_id, 0):
            self._newest[facts.order_id] = facts.seq

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._apply_changes(), name="live-access")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def settled(self) -> None:
        """Wait until every queued change has been applied (tests, orderly shutdown)."""
        await self._changes.join()

    async def _apply_changes(self) -> None:
        while True:
            facts = await self._changes.get()
            try:
                if facts.seq and facts.seq < self._newest.get(facts.order_id, 0):
                    continue  # a session read newer facts while this waited in the queue
                for session in list(self._watchers.get(facts.order_id, ())):
                    try:
                        await session.on_order_changed(facts)
                    except Exception:
                        log.exception("re-deciding access of %s failed", session.subscriber.name)
            finally:
                self._changes.task_done()

    async def end_all(self, code: int, reason: str) -> None:
        """Close every session's connection with ``code``, and every session opened from
        now on (shutdown: clients reconnect to another process and resume)."""
        self._ended = (code, reason)
        for session in list(self._sessions):
            await session.context.hub.disconnect(session.subscriber, code, reason)

    def end_access(self, ended: AccessEnded) -> int:
        """End the sessions of ``ended.user_id`` (those of the named token families, or all):
        a WebSocket closes with 4001, an SSE stream ends with its ``end`` event, after what
        is already queued. Rare, so a scan of this process's sessions; how many ended."""
        names = frozenset(ended.session_ids) if ended.session_ids is not None else None
        frame = protocol.error("access_revoked", ACCESS_REVOKED_MESSAGE, reason=ended.reason)
        count = 0
        for session in list(self._sessions):
            principal = session.principal
            if principal.id != ended.user_id:
                continue
            if names is not None and principal.session_id not in names:
                continue
            session.end(UNAUTHORIZED, "session ended", frame)
            count += 1
        return count
