"""Revision 0013 records the ends that may still have live access tokens: sessions ended in
the last day, and every inactive account (as ended then). On both back-ends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from persistence.database import create_engine
from persistence.migrate import downgrade, upgrade
from persistence.models import EndedAccess, RefreshToken, User

NOW = datetime.now(UTC)
HOUR_AGO, DAYS_AGO = NOW - timedelta(hours=1), NOW - timedelta(days=3)


async def _seed(url: str) -> None:
    users = [
        {"id": 1, "email": "a@example.test", "is_active": True},
        {"id": 2, "email": "b@example.test", "is_active": False},
    ]
    tokens = [
        ("live", "half-ended", None),
        ("rotated", "half-ended", HOUR_AGO),
        ("logged-out", "ended", HOUR_AGO - timedelta(minutes=5)),
        ("logged-out-too", "ended", HOUR_AGO),
        ("long-gone", "ended-long-ago", DAYS_AGO),
    ]
    engine = create_engine(url)
    async with engine.begin() as connection:
        for user in users:
            row = {**user, "password_hash": "x", "full_name": "A", "role": "customer"}
            await connection.execute(insert(User.__table__).values(**row))
        for token_hash, family, revoked_at in tokens:
            await connection.execute(
                insert(RefreshToken.__table__).values(
                    user_id=1,
                    token_hash=token_hash,
                    family_id=family,
                    expires_at=NOW + timedelta(days=30),
                    revoked_at=revoked_at,
                )
            )
    await engine.dispose()


async def _ends(url: str) -> list[tuple[int, str | None, str, datetime]]:
    engine = create_engine(url)
    columns = (EndedAccess.user_id, EndedAccess.family_id, EndedAccess.reason, EndedAccess.ended_at)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(*columns).order_by(EndedAccess.user_id))).all()
    await engine.dispose()
    return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_ends_that_may_still_matter_are_recorded(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/ends.db"
    else:
        url = request.getfixturevalue("fresh_postgres_database")
        downgrade(url, "base")
    upgrade(url, "0012")
    asyncio.run(_seed(url))
    before = datetime.now(UTC)
    upgrade(url)

    ended = asyncio.run(_ends(url))
    assert ended[0] == (1, "ended", "session_revoked", HOUR_AGO)
    user_id, family, reason, at = ended[1]
    assert (user_id, family, reason) == (2, None, "account_deactivated")
    assert before <= at <= datetime.now(UTC)
    assert len(ended) == 2
    downgrade(url, "0012")
    upgrade(url)
