"""A token this process has verified is not decoded again on the next request
(`app.http.verified_tokens`); what that must not change: expiry, the secret, the session."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.settings import Settings
from tests.integration.api.test_api_bad_input import bearer, forged_token
from tests.support.api import ApiUser, expect
from tests.support.api import test_settings as settings_for

Client = AsyncTestClient[Litestar]


async def test_a_token_used_before_is_refused_once_it_expires(
    api: Client, settings: Settings, customer_a: ApiUser
) -> None:
    token = forged_token(settings, customer_a, expires_in=timedelta(seconds=2))
    expires_at = int(time.time()) + 2  # the claim is whole seconds: at most this
    for _ in range(3):
        assert expect(await api.get("/api/me", headers=bearer(token)), 200)["id"] == customer_a.id
    await asyncio.sleep(max(0.0, expires_at - time.time()) + 0.3)
    body = expect(await api.get("/api/me", headers=bearer(token)), 401)
    assert body["message"] == "token expired"


async def test_a_token_verified_under_one_secret_is_refused_under_another(
    api: Client, settings: Settings, customer_a: ApiUser
) -> None:
    expect(await api.get("/api/me", headers=customer_a.headers), 200)
    other = create_app(
        settings_for(settings.database_url, jwt_secret="another-secret-of-sufficient-length")
    )
    async with AsyncTestClient(app=other) as other_api:
        body = expect(await other_api.get("/api/me", headers=customer_a.headers), 401)
    assert body["message"] == "invalid token"


async def test_a_token_used_before_is_refused_once_its_session_ends(
    api: Client, customer_a: ApiUser
) -> None:
    expect(await api.get("/api/me", headers=customer_a.headers), 200)
    ended = await api.delete(
        "/api/me/sessions", params={"keep_current": "false"}, headers=customer_a.headers
    )
    expect(ended, 200)
    body = expect(await api.get("/api/me", headers=customer_a.headers), 401)
    assert body["message"] == "this session has ended; log in again"
