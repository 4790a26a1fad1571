"""Whether a token's session may still be used, on a real PostgreSQL: the answer follows
the account and the refresh-token family, is cached for `ttl`, is forgotten at once when a
control event ends the user's access (in this process and, through the broker, in every
other), and lets a well-signed token through while the database is away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app import session_access
from app.session_access import SessionAccess
from app.settings import Settings
from domain.roles import Role
from persistence.database import create_engine, create_session_factory
from persistence.models import RefreshToken, User
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


class HandClock:
    def __init__(self) -> None:
        self.now = 100.0

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


@pytest.fixture
async def access(
    session_factory: async_sessionmaker[AsyncSession],
    sessions: RecordingLiveSessions,
    clock: HandClock,
) -> AsyncIterator[SessionAccess]:
    broker = MemoryBroker(classify=with_control())
    checker = SessionAccess(session_factory, broker, sessions, ttl=15.0, clock=clock)
    await checker.start()
    yield checker
    await checker.stop()


async def _user(settings: Settings, email: str, *families: str) -> int:
    """A customer with one live refresh token in each of ``families``."""
    user_id = await add_user(settings, email, Role.CUSTOMER)
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            for family in families:
                session.add(
                    RefreshToken(
                        user_id=user_id,
                        token_hash=f"{email}:{family}".ljust(64, "x")[:64],
                        expires_at=datetime.now(UTC) + timedelta(days=30),
                        family_id=family,
                    )
                )
            await session.commit()
    finally:
        await engine.dispose()
    return user_id


async def _revoke(engine: AsyncEngine, user_id: int, family: str | None = None) -> None:
    async with engine.begin() as connection:
        statement = update(RefreshToken).where(RefreshToken.user_id == user_id)
        if family is not None:
            statement = statement.where(RefreshToken.family_id == family)
        await connection.execute(statement.values(revoked_at=datetime.now(UTC)))


async def _deactivate(engine: AsyncEngine, user_id: int) -> None:
    async with engine.begin() as connection:
        await connection.execute(update(User).where(User.id == user_id).values(is_active=False))


async def test_a_live_family_of_an_active_account_is_allowed(
    access: SessionAccess, settings: Settings
) -> None:
    user_id = await _user(settings, "a@example.com", "fam1", "fam2")
    assert await access.allows(user_id, "fam1")
    assert await access.allows(user_id, "fam2")
    assert not await access.allows(user_id, "someone-elses")
    assert not await access.allows(user_id + 1000, "fam1")


async def test_a_revoked_family_or_an_inactive_account_is_refused(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    revoked = await _user(settings, "r@example.com", "fam1", "fam2")
    inactive = await _user(settings, "i@example.com", "fam1")
    await _revoke(engine, revoked, "fam1")
    await _deactivate(engine, inactive)
    fresh = SessionAccess(session_factory, MemoryBroker(classify=with_control()), LiveSessions())
    assert not await fresh.allows(revoked, "fam1")
    assert await fresh.allows(revoked, "fam2")
    assert not await fresh.allows(inactive, "fam1")
    assert not await fresh.allows(inactive, None)


async def test_a_token_from_before_sessions_were_named_follows_the_account(
    access: SessionAccess, settings: Settings, engine: AsyncEngine, clock: HandClock
) -> None:
    user_id = await _user(settings, "old@example.com")
    assert await access.allows(user_id, None)
    await _deactivate(engine, user_id)
    clock.now += 16
    assert not await access.allows(user_id, None)


async def test_an_answer_is_trusted_for_the_ttl_then_read_again(
    access: SessionAccess, settings: Settings, engine: AsyncEngine, clock: HandClock
) -> None:
    user_id = await _user(settings, "c@example.com", "fam1")
    assert await access.allows(user_id, "fam1")
    await _revoke(engine, user_id)  # as if another process did it and its event was missed
    clock.now += 14.9
    assert await access.allows(user_id, "fam1")
    clock.now += 0.2
    assert not await access.allows(user_id, "fam1")


async def test_ending_access_forgets_the_users_answers_and_ends_their_sessions(
    access: SessionAccess,
    settings: Settings,
    engine: AsyncEngine,
    sessions: RecordingLiveSessions,
) -> None:
    ended_user = await _user(settings, "e@example.com", "fam1")
    other_user = await _user(settings, "o@example.com", "fam1")
    assert await access.allows(ended_user, "fam1")
    assert await access.allows(other_user, "fam1")
    await _revoke(engine, ended_user)
    await _revoke(engine, other_user)

    await access.end(ended_user, ["fam1"], EndReason.PASSWORD_CHANGED)

    assert sessions.ended == [
        AccessEnded(user_id=ended_user, session_ids=("fam1",), reason="password_changed")
    ]
    assert not await access.allows(ended_user, "fam1")  # read again at once
    assert await access.allows(other_user, "fam1")  # still the cached answer: not theirs


async def test_ending_no_sessions_publishes_nothing(
    access: SessionAccess, sessions: RecordingLiveSessions
) -> None:
    await access.end(7, [])
    assert sessions.ended == []
    await access.end(7, None)
    assert sessions.ended == [AccessEnded(user_id=7)]


async def test_with_the_broker_away_this_process_ends_access_alone(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings, engine: AsyncEngine
) -> None:
    user_id = await _user(settings, "b@example.com", "fam1")
    broker = RedisBroker(f"redis://127.0.0.1:{free_port()}/0", classify=with_control())
    sessions = RecordingLiveSessions()
    checker = SessionAccess(session_factory, broker, sessions)
    try:
        await checker.start()  # the control channel cannot be listened to: no failure
        assert await checker.allows(user_id, "fam1")
        await _revoke(engine, user_id)
        await checker.end(user_id, None, EndReason.ACCOUNT_DEACTIVATED)
        assert sessions.ended == [AccessEnded(user_id=user_id, reason="account_deactivated")]
        assert not await checker.allows(user_id, "fam1")
        await checker.stop()
    finally:
        await broker.close()


@pytest.mark.redis
async def test_ending_access_in_one_process_reaches_another_through_redis(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    engine: AsyncEngine,
    redis_url: str,
    redis_prefix: str,
) -> None:
    user_id = await _user(settings, "x@example.com", "fam1", "fam2")
    brokers = [
        RedisBroker(redis_url, prefix=redis_prefix, classify=with_control()) for _ in range(2)
    ]
    here_sessions, there_sessions = RecordingLiveSessions(), RecordingLiveSessions()
    here = SessionAccess(session_factory, brokers[0], here_sessions)
    there = SessionAccess(session_factory, brokers[1], there_sessions)
    try:
        for broker in brokers:
            await broker.start()
            # `start` waits for the first connection attempt only; on a loaded machine that
            # attempt can time out, and the subscription would then be made at the
            # reconnect, possibly after `end` has published.
            await broker.pubsub.wait_connected()
        await here.start()
        await there.start()
        assert await there.allows(user_id, "fam1")
        await _revoke(engine, user_id, "fam1")

        await here.end(user_id, ["fam1"], EndReason.SESSION_REVOKED)

        expected = AccessEnded(user_id=user_id, session_ids=("fam1",), reason="session_revoked")
        await poll_until(
            lambda: asyncio.sleep(0, there_sessions.ended and here_sessions.ended),
            bool,
            every=0.02,
        )
        assert there_sessions.ended == [expected]
        assert here_sessions.ended == [expected]  # the publisher hears its own event too
        assert not await there.allows(user_id, "fam1")
        assert await there.allows(user_id, "fam2")
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
    checker = SessionAccess(None, MemoryBroker(), sessions)  # type: ignore[arg-type]
    checker.on_control_event(envelope)
    assert sessions.ended == []


async def test_an_answer_read_while_access_ended_is_not_cached(
    access: SessionAccess, settings: Settings, engine: AsyncEngine, database_url: str
) -> None:
    user_id = await _user(settings, "race@example.com", "fam1")
    blocker = create_engine(database_url)
    try:
        async with blocker.begin() as connection:
            await connection.execute(text("LOCK TABLE user_account IN ACCESS EXCLUSIVE MODE"))
            reading = asyncio.create_task(access.allows(user_id, "fam1"))
            await poll_until(
                lambda: _waiting_locks(engine), lambda waiting: waiting > 0, every=0.02
            )
            access.apply(AccessEnded(user_id=user_id))  # arrives while the read waits
        assert await reading  # the read saw the session before it ended...
        await _revoke(engine, user_id)
        assert not await access.allows(user_id, "fam1")  # ...and was not trusted after
    finally:
        await blocker.dispose()


WAITING_HERE = """
SELECT count(*) FROM pg_locks
WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


async def _waiting_locks(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text(WAITING_HERE)) or 0)


async def test_the_cache_is_bounded_and_drops_its_oldest_answer(
    access: SessionAccess,
    settings: Settings,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(session_access, "MAX_ENTRIES", 2)
    users = [await _user(settings, f"m{index}@example.com", "fam") for index in range(3)]
    for user_id in users:
        assert await access.allows(user_id, "fam")
    for user_id in users:
        await _revoke(engine, user_id)
    assert not await access.allows(users[0], "fam")  # evicted: read again
    assert await access.allows(users[2], "fam")  # still cached


async def test_while_the_database_is_away_a_signed_token_passes_and_is_not_cached(
    settings: Settings,
) -> None:
    absent = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/postgres")
    checker = SessionAccess(create_session_factory(absent), MemoryBroker(), LiveSessions())
    try:
        assert await checker.allows(1, "fam1")
        assert await checker.allows(1, "fam1")
        assert checker._verdicts == {}
    finally:
        await absent.dispose()
