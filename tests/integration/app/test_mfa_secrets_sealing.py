"""Sealing the secrets stored in the clear, on a real PostgreSQL: each such row once, sealed
rows untouched, and the codes still come from the same secret."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.mfa_secrets import SecretBox, is_sealed, seal_stored_secrets
from app.settings import Settings
from domain.roles import Role
from persistence.models import TotpFactor
from tests.support.database import add_user

pytestmark = pytest.mark.postgres

BOX = SecretBox("k" * 40)


async def _factors(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], secrets: list[str]
) -> list[int]:
    ids = []
    async with session_factory() as session:
        for index, secret in enumerate(secrets):
            user_id = await add_user(settings, f"f{index}@example.com", Role.ADMIN)
            factor = TotpFactor(user_id=user_id, secret=secret)
            session.add(factor)
            await session.flush()
            ids.append(factor.id)
        await session.commit()
    return ids


async def _stored(session_factory: async_sessionmaker[AsyncSession]) -> dict[int, str]:
    async with session_factory() as session:
        return dict((await session.execute(select(TotpFactor.id, TotpFactor.secret))).all())


async def test_clear_secrets_are_sealed_and_sealed_ones_left_alone(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    already = BOX.seal("ALREADYSEALEDAAA")
    ids = await _factors(
        settings, session_factory, ["JBSWY3DPEHPK3PXP", "KRSXG5CTMVRXEZLU", already]
    )
    assert await seal_stored_secrets(session_factory, BOX) == 2
    stored = await _stored(session_factory)
    assert all(is_sealed(value) for value in stored.values())
    assert stored[ids[2]] == already
    assert [BOX.open(stored[factor_id]) for factor_id in ids] == [
        "JBSWY3DPEHPK3PXP",
        "KRSXG5CTMVRXEZLU",
        "ALREADYSEALEDAAA",
    ]
    assert await seal_stored_secrets(session_factory, BOX) == 0


async def test_processes_starting_together_seal_each_row_once(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await _factors(settings, session_factory, [f"JBSWY3DPEHPK3PX{c}" for c in "ABCDEFGH"])
    counts = await asyncio.gather(*(seal_stored_secrets(session_factory, BOX) for _ in range(3)))
    assert sum(counts) == 8
    stored = await _stored(session_factory)
    assert sorted(BOX.open(value) for value in stored.values()) == sorted(
        f"JBSWY3DPEHPK3PX{c}" for c in "ABCDEFGH"
    )


async def test_nothing_to_seal_is_no_error(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    assert await seal_stored_secrets(session_factory, BOX) == 0
