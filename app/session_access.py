"""Whether an access token's session may still be used, and ending one everywhere at once.

Access tokens are JWTs checked without the database, so on their own they outlive a revoked
session, a deactivated or erased account, a changed password: until they expire. Every such
end is recorded with the change that makes it (`persistence.access_ends`), and two
mechanisms bring it to every process:

- **The control channel**, within the time an event crosses Redis: the process that ends a
  session publishes :class:`realtime.control.AccessEnded`, and every process refuses the
  tokens it ended and closes that user's matching sockets (4001) and SSE streams (`end`,
  `access_revoked`) through :class:`realtime.sessions.LiveSessions`.
- **A poll**, every ``poll_interval`` seconds in each process: one statement reads the ends
  of the last token lifetime. It makes up for a control event that was missed (Redis away
  at that moment), and is how a process that starts learns the ends that came before it.

So :meth:`SessionAccess.allows` answers from memory, with no statement per request: a token
is refused when its session, or its whole account, ended at or after the time it was issued
(plus :data:`ISSUE_MARGIN_SECONDS`). What is held is the ends of one token lifetime, since an
older end refuses only tokens that have expired anyway. A token issued after an account-wide
end is not refused: an account reactivated by an admin logs in again and works.

While the database is away the check still answers from what it holds, and the poll tries
again at its next turn: tokens are short-lived, and live connections keep opening during a
database restart, as they did before the check existed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.metrics import ACCESS_ENDS_HELD, ACCESS_ENDS_READ
from persistence.access_ends import AccessEnd, ends_since
from persistence.database import database_outage
from realtime.broker import Broker, BrokerUnavailable
from realtime.control import ACCESS_ENDED_EVENT, CONTROL_CHANNEL, AccessEnded, EndReason
from realtime.envelope import Envelope
from realtime.sessions import LiveSessions

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
"""How long an end whose control event a process missed can go unnoticed there."""
ISSUE_MARGIN_SECONDS = 2.0
"""Tokens issued this long after an end are refused too: a refresh that read the account
just before it was deactivated, and clocks a little apart between processes, cannot slip a
token past the end. Token times are whole seconds, which only widens the refusal."""


class SessionAccess:
    """One per process: the ends of the last token lifetime, and the control channel's both
    ends."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        broker: Broker,
        sessions: LiveSessions,
        *,
        token_lifetime: float,
        poll_interval: float = POLL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session_factory = session_factory
        self._broker = broker
        self._sessions = sessions
        self._poll_interval = poll_interval
        self._clock = clock
        self._window = token_lifetime + 2 * ISSUE_MARGIN_SECONDS
        """An end older than this refuses no token that has not expired."""
        self._ended_sessions: dict[str, float] = {}
        """Session (token family) -> when it ended, in seconds since the epoch."""
        self._ended_accounts: dict[int, float] = {}
        """User id -> when every token they held ended."""
        self._database_away = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen on the control channel, then read the ends so far before serving."""
        with contextlib.suppress(BrokerUnavailable):
            await self._broker.listen(CONTROL_CHANNEL, self.on_control_event)
        await self.poll()
        self._task = asyncio.create_task(self._poll_forever(), name="session-access-poll")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(BrokerUnavailable):
            await self._broker.unlisten(CONTROL_CHANNEL, self.on_control_event)

    # -- the check ---------------------------------------------------------------------------

    def allows(self, user_id: int, session_id: str | None, issued_at: float) -> bool:
        """Whether a token of ``user_id`` from session ``session_id`` (None: a token from
        before sessions were named), issued at ``issued_at`` (seconds since the epoch), may
        still be used."""
        ended = self._ended_accounts.get(user_id)
        if ended is not None and issued_at <= ended + ISSUE_MARGIN_SECONDS:
            return False
        if session_id is None:
            return True
        ended = self._ended_sessions.get(session_id)
        return ended is None or issued_at > ended + ISSUE_MARGIN_SECONDS

    # -- the poll ----------------------------------------------------------------------------

    async def poll(self) -> bool:
        """Learn the ends recorded in the last token lifetime, and end the live sessions of
        any this process had not heard of; whether the database answered."""
        now = self._clock()
        since = datetime.fromtimestamp(now - self._window, UTC)
        try:
            async with self._session_factory() as session:
                rows = await ends_since(session, since)
        except Exception as exc:
            if not database_outage(exc):
                raise
            if not self._database_away:
                log.warning("access ends not read: the database is away; trying again")
            self._database_away = True
            return False
        self._database_away = False
        self._forget_before(now - self._window)
        for row in rows:
            self._learn(row)
        ACCESS_ENDS_READ.set(time.time())
        self._count_held()
        return True

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval)
            try:
                await self.poll()
            except Exception:
                log.exception("the access ends poll failed; trying again")

    def _learn(self, row: AccessEnd) -> None:
        ended = AccessEnded(
            user_id=row.user_id,
            session_ids=(row.family_id,) if row.family_id is not None else None,
            reason=row.reason,
            ended_at=row.ended_at.timestamp(),
        )
        if self._remember(ended):
            self._sessions.end_access(ended)

    def _forget_before(self, cutoff: float) -> None:
        sessions, accounts = self._ended_sessions, self._ended_accounts
        self._ended_sessions = {key: at for key, at in sessions.items() if at >= cutoff}
        self._ended_accounts = {key: at for key, at in accounts.items() if at >= cutoff}

    def _remember(self, ended: AccessEnded) -> bool:
        """Hold ``ended``; whether it was news (a later end than any held for the same)."""
        ended_at = ended.ended_at if ended.ended_at is not None else self._clock()
        if ended.session_ids is None:
            if ended_at <= self._ended_accounts.get(ended.user_id, float("-inf")):
                return False
            self._ended_accounts[ended.user_id] = ended_at
            return True
        news = False
        for session_id in ended.session_ids:
            if ended_at > self._ended_sessions.get(session_id, float("-inf")):
                self._ended_sessions[session_id] = ended_at
                news = True
        return news

    # -- ending access -----------------------------------------------------------------------

    async def end(
        self,
        user_id: int,
        session_ids: list[str] | None = None,
        reason: EndReason = EndReason.SESSION_REVOKED,
    ) -> None:
        """After the change that ended them is committed (and recorded): end the sessions
        ``session_ids`` of ``user_id`` (None: every token of the account) in every process.
        With the broker away, this process acts alone and the others catch up at their
        next poll."""
        if session_ids is not None and not session_ids:
            return
        ended = AccessEnded(
            user_id=user_id,
            session_ids=tuple(session_ids) if session_ids is not None else None,
            reason=reason,
            ended_at=self._clock(),
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
        """Refuse the tokens ``ended`` names, and end their live sessions here."""
        self._remember(ended)
        self._count_held()
        self._sessions.end_access(ended)

    def _count_held(self) -> None:
        ACCESS_ENDS_HELD.set(len(self._ended_sessions) + len(self._ended_accounts))
