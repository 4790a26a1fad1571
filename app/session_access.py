"""Whether an access token's session may still be used, and ending one everywhere at once.

Access tokens are JWTs checked without the database, so on their own they outlive a revoked
session, a deactivated or erased account, a changed password: until they expire. Two
mechanisms close that gap:

- **Live connections** end within the time an event crosses Redis: the process that ends a
  session publishes :class:`realtime.control.AccessEnded` on the control channel, and every
  process's :class:`realtime.sessions.LiveSessions` closes that user's matching sockets
  (4001) and ends their SSE streams (`end`, `access_revoked`).
- **New requests and sockets** ask :meth:`SessionAccess.allows`: the account is active and the
  token's family still has a live refresh token. The answer is cached per process for
  ``ttl`` seconds, and the same control event drops the user's entries at once, so the only
  cost is one query per user session per ``ttl`` per process. A control event that was
  missed (Redis away at that moment) is made up for when the entry ages out.

While the database is away the check lets a well-signed token through (and does not cache
that): the token is short-lived, and this keeps live connections opening during a database
restart, as they did before the check existed.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from persistence.database import database_outage
from persistence.sessions import session_still_valid
from realtime.broker import Broker, BrokerUnavailable
from realtime.control import ACCESS_ENDED_EVENT, CONTROL_CHANNEL, AccessEnded, EndReason
from realtime.envelope import Envelope
from realtime.sessions import LiveSessions

log = logging.getLogger(__name__)

CHECK_TTL_SECONDS = 15.0
"""How long a process trusts its last answer for a session without a control event."""
MAX_ENTRIES = 10_000

_Key = tuple[int, str | None]


class SessionAccess:
    """One per process: the cached check and the control channel's both ends."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        broker: Broker,
        sessions: LiveSessions,
        *,
        ttl: float = CHECK_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session_factory = session_factory
        self._broker = broker
        self._sessions = sessions
        self._ttl = ttl
        self._clock = clock
        self._verdicts: dict[_Key, tuple[bool, float]] = {}
        self._ends = 0
        """Control events seen; an answer read while one arrived is not cached."""

    async def start(self) -> None:
        with contextlib.suppress(BrokerUnavailable):
            await self._broker.listen(CONTROL_CHANNEL, self.on_control_event)

    async def stop(self) -> None:
        with contextlib.suppress(BrokerUnavailable):
            await self._broker.unlisten(CONTROL_CHANNEL, self.on_control_event)

    # -- the check ---------------------------------------------------------------------------

    async def allows(self, user_id: int, session_id: str | None) -> bool:
        """Whether a token of ``user_id`` from session ``session_id`` may still be used."""
        key = (user_id, session_id)
        cached = self._verdicts.get(key)
        now = self._clock()
        if cached is not None and cached[1] > now:
            return cached[0]
        ends = self._ends
        try:
            verdict = await self._load(user_id, session_id)
        except Exception as exc:
            if database_outage(exc):
                return True
            raise
        if ends == self._ends:
            if len(self._verdicts) >= MAX_ENTRIES:
                self._verdicts.pop(next(iter(self._verdicts)))
            self._verdicts[key] = (verdict, now + self._ttl)
        return verdict

    async def _load(self, user_id: int, session_id: str | None) -> bool:
        """One statement on an autocommit connection: a cache miss is one round trip, not a
        transaction's three (BEGIN, the query, ROLLBACK) around two queries."""
        async with self._session_factory() as session:
            return await session_still_valid(session, user_id, session_id)

    # -- ending access -----------------------------------------------------------------------

    async def end(
        self,
        user_id: int,
        session_ids: list[str] | None = None,
        reason: EndReason = EndReason.SESSION_REVOKED,
    ) -> None:
        """After the change that ended them is committed: end the sessions ``session_ids``
        of ``user_id`` (None: all of them) in every process. With the broker away, this
        process acts alone and the others catch up through the check's ``ttl``."""
        if session_ids is not None and not session_ids:
            return
        ended = AccessEnded(
            user_id=user_id,
            session_ids=tuple(session_ids) if session_ids is not None else None,
            reason=reason,
        )
        try:
            await self._broker.publish_ephemeral(
                CONTROL_CHANNEL, ACCESS_ENDED_EVENT, msgspec.to_builtins(ended)
            )
        except BrokerUnavailable:
            log.warning("access of user %s ended here only: the broker is away", user_id)
            self.apply(ended)

    def on_control_event(self, envelope: Envelope) -> None:
        """Broker listener on the control channel."""
        if envelope.event != ACCESS_ENDED_EVENT:
            return
        try:
            ended = msgspec.convert(envelope.data, AccessEnded)
        except msgspec.ValidationError:
            log.warning("ignored a malformed control event: %r", envelope.data)
            return
        self.apply(ended)

    def apply(self, ended: AccessEnded) -> None:
        """Forget what was cached about the user, and end their matching live sessions."""
        self._ends += 1
        for key in [key for key in self._verdicts if key[0] == ended.user_id]:
            del self._verdicts[key]
        self._sessions.end_access(ended)
