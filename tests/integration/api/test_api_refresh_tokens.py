"""Refresh-token rotation under attack: simultaneous use and replay, on both back-ends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from httpx import AsyncClient
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect, login
from tests.support.database import PASSWORD

Client = AsyncTestClient[Litestar]
OpenClient = Callable[[], AbstractAsyncContextManager[AsyncClient]]
RACERS = 10


async def refresh(client: Client | AsyncClient, token: str) -> int:
    response = await client.post("/api/auth/refresh", json={"refresh_token": token})
    return response.status_code


async def test_simultaneous_refreshes_with_one_token_succeed_once(
    concurrent_api: OpenClient, customer_a: ApiUser
) -> None:
    async with concurrent_api() as client:
        statuses = await asyncio.gather(
            *(refresh(client, customer_a.refresh_token) for _ in range(RACERS))
        )
    assert sorted(statuses) == [200] + [401] * (RACERS - 1)


async def test_replaying_a_rotated_token_revokes_its_family(
    api: Client, customer_a: ApiUser
) -> None:
    first = customer_a.refresh_token
    second = expect(await api.post("/api/auth/refresh", json={"refresh_token": first}), 200)
    assert await refresh(api, first) == 401
    assert await refresh(api, second["refresh_token"]) == 401


async def test_a_replay_leaves_other_logins_alone(api: Client, customer_a: ApiUser) -> None:
    other_device = await login(api, customer_a.email, PASSWORD)
    first = customer_a.refresh_token
    expect(await api.post("/api/auth/refresh", json={"refresh_token": first}), 200)
    assert await refresh(api, first) == 401
    assert await refresh(api, other_device.refresh_token) == 200


async def test_replaying_a_logged_out_token_is_refused(api: Client, customer_a: ApiUser) -> None:
    token = customer_a.refresh_token
    expect(await api.post("/api/auth/logout", json={"refresh_token": token}), 204)
    assert await refresh(api, token) == 401
    body = expect(await api.post("/api/auth/logout", json={"refresh_token": token}), 401)
    assert body["code"] == "invalid_refresh_token"
