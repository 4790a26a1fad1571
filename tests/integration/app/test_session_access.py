"""Whether a token's session may still be used, on a real PostgreSQL: the check answers from
the ends this process holds, learns an end at once from a control event (in this process
and, through the broker, in every other) and at its next poll from the database (an end
whose event it missed, and every end from before it started), refuses only tokens issued
before an end, forgets ends older than a token lifetime, and keeps answering while the
database is away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.session_access import ISSUE_MARGIN_SECONDS, SessionAccess
from app.settings import Settings
from domain.roles import Role
from persistence.access_ends import record_ended_account, record_ended_sessions
from persistence.database import create_engine, create_session_factory
from realtime.control import (
    ACCESS_ENDED_EVENT,
    CONTROL_CHANNEL,
    AccessEnded,
    EndReason,
    with_control,
)
from realtime.envelope import Envelope
from realtime.memory_broker import MemoryBroker
from realtime.redis_broker import RedisBroker
from realtime.sessions import LiveSessions
from tests.support.database import add_user
from tests.support.polling import poll_until
from tests.support.services import free_port

pytestmark = pytest.mark.postgres

LIFETIME = 900.0
START = 1_800_000_000.0
"""The hand clock's first reading, in seconds since the epoch (January 2027)."""


class HandClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class RecordingLiveSessions(LiveSessions):
    """The real registry, remembering whose access it was told to end."""

    def __init__(self) -> None:
        super().__init__()
        self.ended: list[AccessEnded] = []

    def end_access(self, ended: AccessEnded) -> int:
        self.ended.append(ended)
        return super().end_access(ended)


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
def sessions() -> RecordingLiveSessions:
    return RecordingLiveSessions()


def _checker(
    session_factory: async_sessionmaker[AsyncSession],
    sessions: LiveSessions,
    clock: HandClock,
    broker: MemoryBroker | RedisBroker | None = None,
) -> SessionAccess:
    return SessionAccess(
        session_factory,
        broker or MemoryBroker(classify=with_control()),
        sessions,
        token_lifetime=LIFETIME,
        poll_interval=3600,
        clock=clock,
    )


@pytest.fixture
async def access(
    session_factory: async_sessionmaker[AsyncSession],
    sessions: RecordingLiveSessions,
    clock: HandClock,
) -> AsyncIterator[SessionAccess]:
    checker = _checker(session_factory, sessions, clock)
    await checker.start()
    yield checker
    await checker.stop()


async def _end_sessions(
    session_factory: async_sessionmaker[AsyncSession],
    user_id: int,
    families: list[str],
    at: float,
    reason: str = EndReason.SESSION_REVOKED,
) -> None:
    """Record ends as the process that made them would, without telling anyone."""
    async with session_factory() as session:
        when = datetime.fromtimestamp(at, UTC)
        await record_ended_sessions(session, user_id, families, reason, when)
        await session.commit()


async def _end_account(
    session_factory: async_sessionmaker[AsyncSession], user_id: int, at: float, reason: str
) -> None:
    async with session_factory() as session:
        await record_ended_account(session, user_id, reason, datetime.fromtimestamp(at, UTC))
        await session.commit()


async def test_a_process_starting_refuses_what_ended_before_it_and_nothing_else(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    clock: HandClock,
    sessions: RecordingLiveSessions,
) -> None:
    revoked = await add_user(settings, "r@example.com", Role.CUSTOMER)
    deactivated = await add_user(settings, "d@example.com", Role.WASHER)
    await _end_sessions(session_factory, revoked, ["fam1"], at=START - 60)
    await _end_account(session_factory, deactivated, START - 60, EndReason.ACCOUNT_DEACTIVATED)

    access = _checker(session_factory, sessions, clock)
    await access.start()
    try:
        issued_before = START - 120
        assert not access.allows(revoked, "fam1", issued_before)
        assert access.allows(revoked, "fam2", issued_before)
        assert access.allows(revoked, None, issued_before)
        assert not access.allows(deactivated, "fam9", issued_before)
        assert not access.allows(deactivated, None, issued_before)
        # Reactivated and logged in again: a token issued after the end is not refused.
        assert access.allows(deactivated, "fam10", START - 60 + ISSUE_MARGIN_SECONDS + 1)
        assert access.allows(revoked + deactivated, "fam1-elsewhere", issued_before)
    finally:
        await access.stop()


async def test_a_token_issued_just_after_an_end_is_refused_too(
    access: SessionAccess,
) -> None:
    ended_at = START - 10
    access.apply(AccessEnded(user_id=5, session_ids=("fam1",), ended_at=ended_at))
    access.apply(AccessEnded(user_id=6, ended_at=ended_at))
    for user_id, session_id in ((5, "fam1"), (6, "fam2")):
        assert not access.allows(user_id, session_id, ended_at + ISSUE_MARGIN_SECONDS)
        assert access.allows(user_id, session_id, ended_at + ISSUE_MARGIN_SECONDS + 1)


async def test_an_end_whose_event_was_missed_is_learned_at_the_next_poll(
    access: SessionAccess,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    sessions: RecordingLiveSessions,
) -> None:
    user_id = await add_user(settings, "m@example.com", Role.CUSTOMER)
    issued = START - 30
    await _end_sessions(
        session_factory, user_id, ["fam1"], at=START - 5, reason=EndReason.PASSWORD_CHANGED
    )
    assert access.allows(user_id, "fam1", issued)  # no event reached this process

    assert await access.poll()

    assert not access.allows(user_id, "fam1", issued)
    assert sessions.ended == [
        AccessEnded(
            user_id=user_id,
            session_ids=("fam1",),
            reason=EndReason.PASSWORD_CHANGED,
            ended_at=START - 5,
        )
    ]
    read_at = _sample("washline_access_ends_last_read_timestamp_seconds")
    assert await access.poll()
    assert len(sessions.ended) == 1  # an end already held ends no live session again
    assert _sample("washline_access_ends_last_read_timestamp_seconds") >= read_at > 0
    assert _sample("washline_access_ends_held") == 1


def _sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def test_the_poll_runs_by_itself(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    user_id = await add_user(settings, "p@example.com", Role.CUSTOMER)
    access = SessionAccess(
        session_factory,
        MemoryBroker(classify=with_control()),
        LiveSessions(),
        token_lifetime=LIFETIME,
        poll_interval=0.05,
    )
    await access.start()
    try:
        now = datetime.now(UTC).timestamp()
        await _end_account(session_factory, user_id, now, EndReason.ACCOUNT_ERASED)
        await poll_until(
            lambda: asyncio.sleep(0, access.allows(user_id, None, now - 1)),
            lambda allowed: not allowed,
            every=0.05,
        )
    finally:
        await access.stop()


async def test_ends_older_than_a_token_lifetime_are_neither_read_nor_kept(
    access: SessionAccess,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    clock: HandClock,
) -> None:
    user_id = await add_user(settings, "o@example.com", Role.CUSTOMER)
    window = LIFETIME + 2 * ISSUE_MARGIN_SECONDS
    await _end_sessions(session_factory, user_id, ["old"], at=START - window - 1)
    await _end_sessions(session_factory, user_id, ["recent"], at=START - window + 60)
    assert await access.poll()
    long_ago = START - 2 * window
    assert access.allows(user_id, "old", long_ago)
    assert not access.allows(user_id, "recent", long_ago)

    clock.now += 61
    assert await access.poll()
    assert access.allows(user_id, "recent", long_ago)  # forgotten: its tokens have expired


async def test_ending_access_refuses_at_once_and_ends_the_users_sessions(
    access: SessionAccess, sessions: RecordingLiveSessions, clock: HandClock
) -> None:
    issued = START - 30
    await access.end(7, ["fam1"], EndReason.PASSWORD_CHANGED)

    assert sessions.ended == [
        AccessEnded(user_id=7, session_ids=("fam1",), reason="password_changed", ended_at=START)
    ]
    assert not access.allows(7, "fam1", issued)
    assert access.allows(7, "fam2", issued)
    assert access.allows(8, "fam3", issued)


async def test_ending_no_sessions_publishes_nothing(
    access: SessionAccess, sessions: RecordingLiveSessions
) -> None:
    await access.end(7, [])
    assert sessions.ended == []
    await access.end(7, None)
    assert sessions.ended == [AccessEnded(user_id=7, ended_at=START)]


async def test_with_the_broker_away_this_process_ends_access_alone(
    session_factory: async_sessionmaker[AsyncSession], clock: HandClock
) -> None:
    broker = RedisBroker(f"redis://127.0.0.1:{free_port()}/0", classify=with_control())
    sessions = RecordingLiveSessions()
    checker = _checker(session_factory, sessions, clock, broker)
    try:
        await checker.start()  # the control channel cannot be listened to: no failure
        await checker.end(3, None, EndReason.ACCOUNT_DEACTIVATED)
        ended = AccessEnded(user_id=3, reason="account_deactivated", ended_at=START)
        assert sessions.ended == [ended]
        assert not checker.allows(3, "fam1", START - 1)
        await checker.stop()
    finally:
        await broker.close()


@pytest.mark.redis
async def test_ending_access_in_one_process_reaches_another_through_redis(
    session_factory: async_sessionmaker[AsyncSession],
    clock: HandClock,
    redis_url: str,
    redis_prefix: str,
) -> None:
    brokers = [
        RedisBroker(redis_url, prefix=redis_prefix, classify=with_control()) for _ in range(2)
    ]
    here_sessions, there_sessions = RecordingLiveSessions(), RecordingLiveSessions()
    here = _checker(session_factory, here_sessions, clock, brokers[0])
    there = _checker(session_factory, there_sessions, clock, brokers[1])
    try:
        for broker in brokers:
            await broker.start()
            # `start` waits for the first connection attempt only; on a loaded machine that
            # attempt can time out, and the subscription would then be made at the
            # reconnect, possibly after `end` has published.
            await broker.pubsub.wait_connected()
        await here.start()
        await there.start()

        await here.end(11, ["fam1"], EndReason.SESSION_REVOKED)

        expected = AccessEnded(
            user_id=11, session_ids=("fam1",), reason="session_revoked", ended_at=START
        )
        await poll_until(
            lambda: asyncio.sleep(0, there_sessions.ended and here_sessions.ended),
            bool,
            every=0.02,
        )
        assert there_sessions.ended == [expected]
        assert here_sessions.ended == [expected]  # the publisher hears its own event too
        assert not there.allows(11, "fam1", START - 1)
        assert there.allows(11, "fam2", START - 1)
    finally:
        await here.stop()
        await there.stop()
        for broker in brokers:
            await broker.close()


@pytest.mark.parametrize(
    "envelope",
    [
        Envelope.create(CONTROL_CHANNEL, "", "something.else", {"user_id": 1}),
        Envelope.create(CONTROL_CHANNEL, "", ACCESS_ENDED_EVENT, {"user_id": "one"}),
        Envelope.create(CONTROL_CHANNEL, "", ACCESS_ENDED_EVENT, ["not", "an", "object"]),
    ],
)
def test_other_or_malformed_control_events_are_ignored(envelope: Envelope) -> None:
    sessions = RecordingLiveSessions()
    checker = SessionAccess(
        None,  # type: ignore[arg-type]
        MemoryBroker(),
        sessions,
        token_lifetime=LIFETIME,
    )
    checker.on_control_event(envelope)
    assert sessions.ended == []
    assert checker.allows(1, None, 0)


def test_an_event_without_its_time_counts_from_when_it_was_heard() -> None:
    """A process of the previous release sends no `ended_at`."""
    clock = HandClock()
    checker = SessionAccess(
        None,  # type: ignore[arg-type]
        MemoryBroker(),
        LiveSessions(),
        token_lifetime=LIFETIME,
        clock=clock,
    )
    checker.on_control_event(
        Envelope.create(CONTROL_CHANNEL, "", ACCESS_ENDED_EVENT, {"user_id": 4})
    )
    assert not checker.allows(4, "fam1", START)
    assert checker.allows(4, "fam1", START + ISSUE_MARGIN_SECONDS + 1)


async def test_while_the_database_is_away_the_check_answers_from_what_it_holds(
    clock: HandClock,
) -> None:
    absent = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/postgres")
    sessions = RecordingLiveSessions()
    checker = _checker(create_session_factory(absent), sessions, clock)
    try:
        await checker.start()  # the first poll fails: no failure
        assert not await checker.poll()
        assert checker.allows(1, "fam1", START - 1)
        await checker.end(1, ["fam1"])
        assert not checker.allows(1, "fam1", START - 1)
        assert not await checker.poll()
        assert not checker.allows(1, "fam1", START - 1)  # a failed poll forgets nothing
    finally:
        await checker.stop()
        await absent.dispose()
