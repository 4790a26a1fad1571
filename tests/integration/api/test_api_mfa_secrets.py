"""Authenticator secrets are stored encrypted, and one stored in the clear by an older
version is encrypted when the app starts and goes on working. On both back-ends."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from app.asgi import create_app
from app.settings import Settings
from persistence.database import create_engine, create_session_factory
from persistence.models import TotpFactor
from tests.integration.api.test_api_mfa import code_at, enrol, password_step, second_step
from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]


async def stored_secret(database_url: str, user_id: int) -> str:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            query = select(TotpFactor.secret).where(TotpFactor.user_id == user_id)
            return str(await session.scalar(query))
    finally:
        await engine.dispose()


async def store_in_the_clear(database_url: str, user_id: int, secret: str) -> None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            await session.execute(
                update(TotpFactor).where(TotpFactor.user_id == user_id).values(secret=secret)
            )
            await session.commit()
    finally:
        await engine.dispose()


async def test_the_secret_is_stored_encrypted(
    api: Client, admin: ApiUser, settings: Settings
) -> None:
    secret, _ = await enrol(api, admin)
    stored = await stored_secret(settings.database_url, admin.id)
    assert stored.startswith("f1:")
    assert secret not in stored


async def test_a_secret_stored_in_the_clear_is_encrypted_at_start_and_still_works(
    api: Client, admin: ApiUser, settings: Settings
) -> None:
    secret, _ = await enrol(api, admin)
    await store_in_the_clear(settings.database_url, admin.id, secret)
    async with AsyncTestClient(app=create_app(settings)) as restarted:
        stored = await stored_secret(settings.database_url, admin.id)
        assert stored.startswith("f1:") and secret not in stored
        token = await password_step(restarted, admin)
        expect(await second_step(restarted, token, code_at(secret, 1)), 200)
