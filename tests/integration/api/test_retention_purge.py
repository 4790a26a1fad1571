"""The retention purge: only what is past its period goes, in batches, one process at a
time; chat messages stay and lose their body. On both back-ends."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text

from app.cli import main
from app.settings import Settings
from app.workers import retention
from app.workers.retention import RETENTION_LOCK_KEY, RetentionPurge, retention_policy
from domain.retention import EXPIRED_CHAT_BODY, RetainedKind, RetentionPolicy, ended_access_days
from persistence.access_ends import record_ended_sessions
from persistence.database import create_engine, create_session_factory
from persistence.models import ChatMessage, EndedAccess, Notification, TrackPoint
from tests.support.api import ApiUser
from tests.support.api import test_settings as settings_for
from tests.support.database import truncate_all

NOW = datetime.now(UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def seed(settings: Settings, washer_id: int, order_id: int, old: int, new: int) -> None:
    """`old` rows of each kind past the default periods (30/365/90 days), `new` within them."""
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        ages = [(True, i) for i in range(old)] + [(False, i) for i in range(new)]
        for seq, (is_old, i) in enumerate(ages, start=1):
            session.add(
                TrackPoint(
                    washer_id=washer_id,
                    lat=52.5,
                    lng=13.4 + i / 1000,
                    recorded_at=days_ago(31 if is_old else 29),
                )
            )
            session.add(
                Notification(
                    user_id=washer_id,
                    kind="order.status",
                    payload={"i": i},
                    created_at=days_ago(91 if is_old else 89),
                )
            )
            session.add(
                ChatMessage(
                    order_id=order_id,
                    seq=seq,
                    sender_id=washer_id,
                    sender_role="washer",
                    body=f"message {seq}",
                    sent_at=days_ago(366 if is_old else 364),
                )
            )
        await session.commit()
    await engine.dispose()


async def counts(settings: Settings) -> dict[str, Any]:
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        result = {
            "track_points": await session.scalar(select(func.count()).select_from(TrackPoint)),
            "notifications": await session.scalar(select(func.count()).select_from(Notification)),
            "chat_bodies": sorted(
                (await session.scalars(select(ChatMessage.body).order_by(ChatMessage.seq))).all()
            ),
        }
    await engine.dispose()
    return result


def purger(settings: Settings, policy: RetentionPolicy | None = None) -> tuple[RetentionPurge, Any]:
    engine = create_engine(settings.database_url)
    purge = RetentionPurge(
        create_session_factory(engine),
        policy or retention_policy(settings),
        uses_advisory_lock=settings.database_url.startswith("postgresql"),
    )
    return purge, engine


def purged_metric(kind: str) -> float:
    return REGISTRY.get_sample_value("washline_retention_purged_total", {"kind": kind}) or 0.0


async def test_only_what_is_past_its_period_is_purged(
    settings: Settings, washer: ApiUser, order_a: dict[str, Any]
) -> None:
    await seed(settings, washer.id, order_a["id"], old=3, new=2)
    before = purged_metric("track_points")
    purge, engine = purger(settings)
    try:
        assert await purge.purge() == {
            "track_points": 3,
            "chat_bodies": 3,
            "notifications": 3,
            "unused_quotes": 0,
            "ended_access": 0,
        }
        left = await counts(settings)
        assert left["track_points"] == 2
        assert left["chat_bodies"] == sorted([EXPIRED_CHAT_BODY] * 3 + ["message 4", "message 5"])
        assert purged_metric("track_points") == before + 3
        # a second run finds nothing left to purge (expired chat bodies are not counted again)
        assert await purge.purge() == {
            "track_points": 0,
            "chat_bodies": 0,
            "notifications": 0,
            "unused_quotes": 0,
            "ended_access": 0,
        }
    finally:
        await engine.dispose()
    assert (await counts(settings))["notifications"] >= 2  # the order's own notifications stay


async def test_purges_go_in_bounded_batches(
    settings: Settings,
    washer: ApiUser,
    order_a: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retention, "BATCH", 4)
    await seed(settings, washer.id, order_a["id"], old=10, new=1)
    purge, engine = purger(settings)
    batches: list[int] = []
    original = purge._batch

    async def counted(kind: RetainedKind, cutoff: datetime) -> int | None:
        done = await original(kind, cutoff)
        if kind is RetainedKind.TRACK_POINTS and done is not None:
            batches.append(done)
        return done

    monkeypatch.setattr(purge, "_batch", counted)
    try:
        assert (await purge.purge())["track_points"] == 10
    finally:
        await engine.dispose()
    assert batches == [4, 4, 2]
    assert (await counts(settings))["track_points"] == 1


async def test_zero_days_keeps_a_kind_forever(
    settings: Settings, washer: ApiUser, order_a: dict[str, Any]
) -> None:
    await seed(settings, washer.id, order_a["id"], old=2, new=0)
    policy = RetentionPolicy(
        days={
            RetainedKind.TRACK_POINTS: 0,
            RetainedKind.CHAT_BODIES: 0,
            RetainedKind.NOTIFICATIONS: 90,
        }
    )
    purge, engine = purger(settings, policy)
    try:
        assert await purge.purge() == {"notifications": 2}
    finally:
        await engine.dispose()
    assert (await counts(settings))["track_points"] == 2


async def test_one_process_purges_at_a_time(migrated_postgres_url: str) -> None:
    await truncate_all(migrated_postgres_url)
    settings = settings_for(migrated_postgres_url)
    engine = create_engine(migrated_postgres_url)
    async with create_session_factory(engine)() as session:
        for i in range(2):
            session.add(TrackPoint(washer_id=1, lat=52.5, lng=13.4, recorded_at=days_ago(31 + i)))
        await session.commit()
    await engine.dispose()
    holder = create_engine(migrated_postgres_url)
    purge, engine = purger(settings)
    try:
        async with holder.connect() as connection:
            await connection.execute(text(f"SELECT pg_advisory_lock({RETENTION_LOCK_KEY})"))
            assert await purge.purge() == {"track_points": 0}
            assert (await counts(settings))["track_points"] == 2
            await connection.execute(text(f"SELECT pg_advisory_unlock({RETENTION_LOCK_KEY})"))
        assert (await purge.purge())["track_points"] == 2
    finally:
        await engine.dispose()
        await holder.dispose()


async def test_washline_purge_runs_it_once(
    migrated_sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "purge.db"
    shutil.copy(migrated_sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        session.add(TrackPoint(washer_id=1, lat=52.5, lng=13.4, recorded_at=days_ago(40)))
        session.add(TrackPoint(washer_id=1, lat=52.5, lng=13.4, recorded_at=days_ago(1)))
        await session.commit()
    await engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    await asyncio.to_thread(main, ["purge"])
    printed = capsys.readouterr().out.strip()
    assert printed == (
        "track_points: 1, chat_bodies: 0, notifications: 0, unused_quotes: 0, ended_access: 0"
    )
    assert (await counts(settings_for(url)))["track_points"] == 1


async def test_unused_quotes_go_a_day_after_they_expired_and_used_ones_stay(
    settings: Settings, customer_a: ApiUser, order_a: dict[str, Any]
) -> None:
    from persistence.models import PriceQuote

    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        for token, expired_days, order_id in [
            ("old-unused", 2, None),
            ("old-used", 2, order_a["id"]),
            ("recent-unused", 0.5, None),
        ]:
            session.add(
                PriceQuote(
                    token=token,
                    customer_id=customer_a.id,
                    vehicle_id=order_a["vehicle_id"],
                    package_id=order_a["package_id"],
                    zone="871f1d489ffffff",
                    base_price_cents=2300,
                    multiplier_pct=100,
                    price_cents=2300,
                    created_at=days_ago(expired_days),
                    expires_at=days_ago(expired_days),
                    order_id=order_id,
                )
            )
        await session.commit()
    purge, purge_engine = purger(settings)
    try:
        assert (await purge.purge())["unused_quotes"] == 1
        async with create_session_factory(engine)() as session:
            left = sorted((await session.scalars(select(PriceQuote.token))).all())
        assert left == ["old-used", "recent-unused"]
    finally:
        await purge_engine.dispose()
        await engine.dispose()


async def test_access_ends_go_once_no_token_they_refuse_can_be_alive(
    settings: Settings, customer_a: ApiUser
) -> None:

    days = ended_access_days(settings.access_token_ttl_seconds)
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        await record_ended_sessions(
            session, customer_a.id, ["old"], "session_revoked", days_ago(days + 0.1)
        )
        await record_ended_sessions(
            session, customer_a.id, ["kept"], "session_revoked", days_ago(days - 0.1)
        )
        await session.commit()
    purge, purge_engine = purger(settings)
    try:
        assert (await purge.purge())["ended_access"] == 1
        async with create_session_factory(engine)() as session:
            left = (await session.scalars(select(EndedAccess.family_id))).all()
        assert left == ["kept"]
    finally:
        await purge_engine.dispose()
        await engine.dispose()
