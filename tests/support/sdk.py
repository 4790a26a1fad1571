"""Signed-in Python SDK clients for end-to-end tests: users made in the database, logged in
through the SDK itself."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

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
