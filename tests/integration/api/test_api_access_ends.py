"""Every way a session or an account ends is recorded with the change, so a process that
heard no control event refuses the ended tokens after its next poll (`app.session_access`).
Each case below ends access through the API, then a second checker on the same database,
started afterwards, is asked about the tokens. On both back-ends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pyotp
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.security import decode_access_token
from app.session_access import SessionAccess
from app.settings import Settings
from persistence.database import create_engine, create_session_factory
from realtime.memory_broker import MemoryBroker
from realtime.sessions import LiveSessions
from tests.support.api import ApiUser, expect
from tests.support.database import PASSWORD

Client = AsyncTestClient[Litestar]
Tokens = dict[str, Any]
Check = Callable[[Tokens], Awaitable[bool]]


@pytest.fixture
async def allowed_elsewhere(settings: Settings) -> AsyncIterator[Check]:
    """Whether another process, started now and never told of any end, lets a token in."""
    engine = create_engine(settings.database_url)

    async def check(tokens: Tokens) -> bool:
        other = SessionAccess(
            create_session_factory(engine),
            MemoryBroker(),
            LiveSessions(),
            token_lifetime=settings.access_token_ttl_seconds,
        )
        await other.start()
        try:
            token = decode_access_token(tokens["access_token"], settings)
            sid = token.extras.get("sid")
            return other.allows(int(token.sub), sid, token.iat.timestamp())
        finally:
            await other.stop()

    yield check
    await engine.dispose()


async def sign_in(api: Client, user: ApiUser) -> Tokens:
    body = {"email": user.email, "password": PASSWORD}
    return expect(await api.post("/api/auth/login", json=body), 200)  # type: ignore[no-any-return]


def bearer(tokens: Tokens) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def as_tokens(user: ApiUser) -> Tokens:
    return {"access_token": user.access_token, "refresh_token": user.refresh_token}


async def test_a_logout(api: Client, customer_a: ApiUser, allowed_elsewhere: Check) -> None:
    phone = await sign_in(api, customer_a)
    expect(await api.post("/api/auth/logout", json={"refresh_token": phone["refresh_token"]}), 204)
    assert not await allowed_elsewhere(phone)
    assert await allowed_elsewhere(as_tokens(customer_a))


async def test_a_session_ended_by_its_user(
    api: Client, customer_a: ApiUser, allowed_elsewhere: Check, settings: Settings
) -> None:
    phone, laptop = await sign_in(api, customer_a), await sign_in(api, customer_a)
    laptop_id = decode_access_token(laptop["access_token"], settings).extras["sid"]
    expect(await api.delete(f"/api/me/sessions/{laptop_id}", headers=bearer(phone)), 204)
    assert not await allowed_elsewhere(laptop)
    assert await allowed_elsewhere(phone)


async def test_every_other_session_ended_by_the_user(
    api: Client, customer_a: ApiUser, allowed_elsewhere: Check
) -> None:
    phone, laptop = await sign_in(api, customer_a), await sign_in(api, customer_a)
    expect(await api.delete("/api/me/sessions/", headers=bearer(phone)), 200)
    assert not await allowed_elsewhere(laptop)
    assert await allowed_elsewhere(phone)


async def test_every_session_ended_by_an_admin(
    api: Client, customer_a: ApiUser, admin: ApiUser, allowed_elsewhere: Check
) -> None:
    url = f"/api/admin/users/{customer_a.id}/sessions"
    expect(await api.delete(url, headers=admin.headers), 200)
    assert not await allowed_elsewhere(as_tokens(customer_a))
    assert await allowed_elsewhere(as_tokens(admin))


async def test_a_password_change(
    api: Client, customer_a: ApiUser, allowed_elsewhere: Check
) -> None:
    phone = await sign_in(api, customer_a)
    change = {"current_password": PASSWORD, "new_password": "a much newer passphrase 42"}
    expect(await api.post("/api/me/password", json=change, headers=bearer(phone)), 204)
    assert not await allowed_elsewhere(as_tokens(customer_a))
    assert await allowed_elsewhere(phone)  # the session that changed it goes on


async def test_a_second_factor_confirmed(
    api: Client, customer_a: ApiUser, allowed_elsewhere: Check
) -> None:
    phone = await sign_in(api, customer_a)
    started = await api.post("/api/me/mfa/totp", json={"password": PASSWORD}, headers=bearer(phone))
    code = {"code": pyotp.TOTP(expect(started, 201)["secret"]).now()}
    expect(await api.post("/api/me/mfa/totp/confirm", json=code, headers=bearer(phone)), 200)
    assert not await allowed_elsewhere(as_tokens(customer_a))


@pytest.mark.parametrize("how", ["patch", "delete"])
async def test_a_washer_deactivated(
    api: Client, washer: ApiUser, admin: ApiUser, allowed_elsewhere: Check, how: str
) -> None:
    url = f"/api/washers/{washer.id}"
    if how == "patch":
        expect(await api.patch(url, json={"is_active": False}, headers=admin.headers), 200)
    else:
        expect(await api.delete(url, headers=admin.headers), 204)
    assert not await allowed_elsewhere(as_tokens(washer))
    assert await allowed_elsewhere(as_tokens(admin))


async def test_an_account_erased_by_its_user(
    api: Client, customer_a: ApiUser, customer_b: ApiUser, allowed_elsewhere: Check
) -> None:
    erase = {"password": PASSWORD}
    expect(await api.post("/api/me/erase", json=erase, headers=customer_a.headers), 200)
    assert not await allowed_elsewhere(as_tokens(customer_a))
    assert await allowed_elsewhere(as_tokens(customer_b))


async def test_an_account_erased_by_an_admin(
    api: Client, customer_a: ApiUser, admin: ApiUser, allowed_elsewhere: Check
) -> None:
    url = f"/api/admin/users/{customer_a.id}/erase"
    expect(await api.post(url, json={"reason": "request"}, headers=admin.headers), 200)
    assert not await allowed_elsewhere(as_tokens(customer_a))


async def test_a_replayed_refresh_token_ends_its_session(
    api: Client, customer_a: ApiUser, allowed_elsewhere: Check
) -> None:
    stolen = {"refresh_token": customer_a.refresh_token}
    renewed = expect(await api.post("/api/auth/refresh", json=stolen), 200)
    expect(await api.post("/api/auth/refresh", json=stolen), 401)
    assert not await allowed_elsewhere(renewed)
