"""`app.services.accounts.refresh`: a refresh is three statements (the claim, the account
with its second factor, the new token), continues its session, says the second factor was
passed when the account has one, and refuses an account no longer active."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.security import decode_access_token
from app.services.accounts import issue_tokens, refresh
from app.settings import Settings
from domain.errors import Unauthenticated
from persistence.models import TotpFactor, User
from tests.integration.persistence.conftest import NOW, Rows
from tests.support.statements import counted_statements


async def _signed_in(
    session: AsyncSession, settings: Settings, *, factor: bool = False
) -> tuple[User, str, str]:
    """A customer (with a confirmed second factor if `factor`), their session and its
    refresh token."""
    user = await Rows(session).user()
    if factor:
        session.add(TotpFactor(user_id=user.id, secret="sealed", confirmed_at=NOW))
    await session.commit()
    pair = await issue_tokens(session, settings, user, second_factor=factor)
    session_id = decode_access_token(pair.access_token, settings).extras["sid"]
    return user, session_id, pair.refresh_token


async def test_a_refresh_is_three_statements_and_continues_its_session(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with session_factory() as session:
        user, session_id, raw = await _signed_in(session, settings)
    async with session_factory() as session:
        with counted_statements(session) as sent:
            pair = await refresh(session, settings, raw, "phone")

    assert len(sent) == 3, sent
    token = decode_access_token(pair.access_token, settings)
    assert (token.sub, token.extras["sid"]) == (str(user.id), session_id)
    assert "amr" not in token.extras
    assert (pair.user.id, pair.user.email, pair.user.is_active) == (user.id, user.email, True)
    async with session_factory() as session:
        with pytest.raises(Unauthenticated):
            await refresh(session, settings, raw)  # rotated: the old token is spent


async def test_a_refresh_of_an_account_with_a_second_factor_says_it_was_passed(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with session_factory() as session:
        _, _, raw = await _signed_in(session, settings, factor=True)
        pair = await refresh(session, settings, raw)
    assert decode_access_token(pair.access_token, settings).extras["amr"] == ["pwd", "otp"]


async def test_an_inactive_account_is_refused_and_its_token_stays_unspent(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with session_factory() as session:
        user, _, raw = await _signed_in(session, settings)
        user_id = user.id
        user.is_active = False
        await session.commit()
        with pytest.raises(Unauthenticated) as refused:
            await refresh(session, settings, raw)
    assert refused.value.code == "invalid_refresh_token"
    async with session_factory() as session:
        account = await session.get(User, user_id)
        assert account is not None
        account.is_active = True
        await session.commit()
        assert (await refresh(session, settings, raw)).user.id == user_id
