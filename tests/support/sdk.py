"""Signed-in Python SDK clients for end-to-end tests: users made in the database, logged in
through the SDK itself."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from washline_client import Event, LiveConnection, LiveItem, WashlineClient

from domain.roles import Role
from tests.support.api import test_settings
from tests.support.database import PASSWORD, add_user
from tests.support.server import ServerProcess

_numbers = itertools.count(1)


@contextlib.asynccontextmanager
async def sdk_client(
    server: ServerProcess, database_url: str, role: Role, name: str = ""
) -> AsyncIterator[WashlineClient]:
    """A new user of `role`, logged in through the SDK."""
    email = f"sdk-{name or role.value}{next(_numbers)}@e2e.test"
    await add_user(test_settings(database_url), email, role, name or role.value)
    async with WashlineClient(server.base_url) as client:
        await client.login(email, PASSWORD)
        yield client


async def next_event(live: LiveConnection, name: str, timeout: float = 20.0) -> Event:
    """The next event called `name`, skipping others."""
    while True:
        item = await live.next(timeout)
        if isinstance(item, Event) and item.event == name:
            return item


async def take(live: LiveConnection, count: int, timeout: float = 20.0) -> list[LiveItem]:
    """The next `count` items the connection hands the app."""
    return [await live.next(timeout) for _ in range(count)]


def ids(items: list[Any]) -> list[str | None]:
    return [item.id for item in items]


async def post_until_stored(
    api: httpx.AsyncClient, token: str, order_id: int, body: str, *, after_a_crash: bool = False
) -> bool:
    """One chat message, retried across an outage until answered; one `Idempotency-Key` makes
    the retries a single message. After a graceful restart it is always stored (True). A
    server killed mid-request can leave its key claimed (`idempotency_key_in_progress`) with
    the message stored or not: with `after_a_crash` that answer gives up (False) and the
    caller takes the stored history as the truth."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    while True:
        try:
            response = await api.post(
                f"/api/orders/{order_id}/messages", headers=headers, json={"body": body}
            )
        except httpx.TransportError:
            await asyncio.sleep(0.1)
            continue
        if response.status_code == 201:
            return True
        if after_a_crash and response.status_code == 409:
            assert response.json()["code"] == "idempotency_key_in_progress", response.text
            return False
        # Draining or starting (5xx), or the chat limit (429): not stored, so try again.
        assert response.status_code == 429 or response.status_code >= 500, response.text
        await asyncio.sleep(0.5 if response.status_code == 429 else 0.1)
