"""Login limits that hold against a client choosing its own address, and 429s that say when
to come back; served as `washline serve` serves the app, on both back-ends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.server import uvicorn_config
from app.settings import Settings
from tests.support.api import ApiUser, expect
from tests.support.api import test_settings as settings_for

Client = AsyncTestClient[Litestar]
Served = Callable[..., AbstractAsyncContextManager[AsyncClient]]
PROXY = "10.20.30.40"
INTERNET_CLIENT = "198.51.100.7"


@pytest.fixture
def served(settings: Settings) -> Served:
    """A client of the app as the server runs it (its proxy-header handling included),
    connecting from `peer`, with the given settings changed."""

    @asynccontextmanager
    async def open_client(peer: str, **overrides: Any) -> AsyncIterator[AsyncClient]:
        app_settings = settings_for(settings.database_url, **overrides)
        app = create_app(app_settings)
        config = uvicorn_config(app_settings, "127.0.0.1", 0, app=app)
        config.load()
        transport = ASGITransport(app=config.loaded_app, client=(peer, 40000))
        async with (
            app.lifespan(),
            AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            yield client

    return open_client


async def attempt(client: AsyncClient | Client, email: str, forwarded_for: str = "") -> Any:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    body = {"email": email, "password": "not-the-password"}
    return await client.post("/api/auth/login", json=body, headers=headers)


def assert_retry_after(response: Any, at_most: int = 60) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= at_most


async def test_a_forged_forwarded_for_buys_no_more_attempts(served: Served) -> None:
    async with served(INTERNET_CLIENT, auth_rate_limit_per_minute=3) as client:
        for n in range(3):
            fake = f"203.0.113.{n + 1}"
            expect(await attempt(client, f"guess{n}@example.test", fake), 401)
        assert_retry_after(await attempt(client, "guess9@example.test", "203.0.113.99"))


async def test_behind_a_trusted_proxy_each_client_has_its_own_budget(served: Served) -> None:
    async with served(PROXY, auth_rate_limit_per_minute=3, trusted_proxies=("10.0.0.0/8",)) as c:
        for n in range(3):
            # A client-written entry on the left is not believed: the proxy's own is.
            forwarded = f"203.0.113.{n + 1}, {INTERNET_CLIENT}"
            expect(await attempt(c, f"guess{n}@example.test", forwarded), 401)
        assert_retry_after(await attempt(c, "guess9@example.test", INTERNET_CLIENT))
        expect(await attempt(c, "guess9@example.test", "198.51.100.8"), 401)


async def test_one_account_is_limited_however_many_addresses_guess(
    served: Served, customer_a: ApiUser
) -> None:
    overrides = {"auth_account_rate_limit_per_minute": 3, "trusted_proxies": ("10.0.0.0/8",)}
    async with served(PROXY, **overrides) as client:
        for n in range(3):
            expect(await attempt(client, customer_a.email, f"198.51.100.{n + 1}"), 401)
        assert_retry_after(await attempt(client, customer_a.email.upper(), "198.51.100.50"))
        expect(await attempt(client, "someone-else@example.test", "198.51.100.51"), 401)


async def test_the_per_address_429_says_when_to_retry(settings: Settings) -> None:
    app = create_app(settings_for(settings.database_url, auth_rate_limit_per_minute=2))
    async with AsyncTestClient(app=app) as client:
        for n in range(2):
            expect(await attempt(client, f"guess{n}@example.test"), 401)
        assert_retry_after(await attempt(client, "guess3@example.test"))


async def test_the_chat_flood_429_says_when_to_retry(
    api: Client, assigned_order: dict[str, Any], customer_a: ApiUser
) -> None:
    url = f"/api/orders/{assigned_order['id']}/messages"
    for n in range(10):
        expect(await api.post(url, json={"body": f"m{n}"}, headers=customer_a.headers), 201)
    flooded = await api.post(url, json={"body": "one more"}, headers=customer_a.headers)
    assert_retry_after(flooded, at_most=10)
