"""Login answers do not tell who has an account: the same work and the same refusal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from app.services import accounts
from app.settings import Settings
from persistence.database import create_engine, create_session_factory
from persistence.models import User
from tests.support.api import ApiUser, expect
from tests.support.database import PASSWORD

Client = AsyncTestClient[Litestar]
Verify = Callable[[str, str], Awaitable[bool]]


@pytest.fixture
def verified_hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The password hash each login verified against, in order."""
    seen: list[str] = []
    real: Verify = accounts.verify_password

    async def spy(password_hash: str, password: str) -> bool:
        seen.append(password_hash)
        return await real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", spy)
    return seen


def parameters(password_hash: str) -> str:
    """`$argon2id$v=19$m=...,t=...,p=...`: what decides how long verifying takes."""
    return "$".join(password_hash.split("$")[:4])


async def deactivate(settings: Settings, user_id: int) -> None:
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        await session.execute(update(User).where(User.id == user_id).values(is_active=False))
        await session.commit()
    await engine.dispose()


async def attempt(api: Client, email: str, password: str) -> tuple[int, str]:
    response = await api.post("/api/auth/login", json={"email": email, "password": password})
    return response.status_code, response.json()["code"] if response.status_code >= 400 else ""


async def test_an_unknown_email_costs_one_hash_like_a_known_one(
    api: Client, customer_a: ApiUser, verified_hashes: list[str]
) -> None:
    assert await attempt(api, customer_a.email, "wrong-password-1") == (401, "invalid_credentials")
    assert await attempt(api, "nobody@example.test", "wrong-password-1") == (
        401,
        "invalid_credentials",
    )
    assert len(verified_hashes) == 2
    known, unknown = verified_hashes
    assert unknown != known
    assert parameters(unknown) == parameters(known)


async def test_a_disabled_account_is_named_only_to_who_knows_its_password(
    api: Client, settings: Settings, customer_a: ApiUser, verified_hashes: list[str]
) -> None:
    await deactivate(settings, customer_a.id)
    assert await attempt(api, customer_a.email, "wrong-password-1") == (401, "invalid_credentials")
    assert await attempt(api, customer_a.email, PASSWORD) == (403, "account_disabled")
    assert len(verified_hashes) == 2


async def test_a_short_wrong_password_is_wrong_credentials_not_bad_input(
    api: Client, customer_a: ApiUser
) -> None:
    for password in ("short", "", " " * 8):
        assert await attempt(api, customer_a.email, password) == (401, "invalid_credentials")
    body = expect(
        await api.post("/api/auth/login", json={"email": customer_a.email, "password": "x" * 300}),
        401,
    )
    assert body["code"] == "invalid_credentials"
