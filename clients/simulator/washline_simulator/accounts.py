"""Simulated people's accounts: log in, or create the account first; keep the token fresh.

Each person is one SDK client (`WashlineClient`) with their own tokens, on the city's
shared pool. The city is meant to be restarted at will against the same server, so every
account is looked up before it is made: a second run logs the same washers and customers
back in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from washline_client import Washer, WashlineClient

from washline_simulator.api import Api, ApiError, WashlineError, reachable

T = TypeVar("T")

MIN_REFRESH_PAUSE = 5.0
"""The shortest pause between two refreshes (a failed one is retried after it, too)."""


class Session:
    """One person's SDK client. Requests that meet a 401 the SDK could not mend (the
    refresh was refused too: the session ended) log in again and retry once."""

    def __init__(self, api: Api, email: str, password: str) -> None:
        self.api = api
        self.email = email
        self.password = password
        self.client = api.client()

    @property
    def user_id(self) -> int:
        return self.client.user.id if self.client.signed_in else 0

    @property
    def role(self) -> str:
        return self.client.user.role if self.client.signed_in else ""

    @property
    def access_token(self) -> str:
        return self.client.tokens.pair.access_token if self.client.signed_in else ""

    async def login(self) -> None:
        """Raises ApiError (401 when the account does not exist or the password is wrong)."""
        await reachable(self.api.sign_in(lambda: self.client.login(self.email, self.password)))

    async def register(self, full_name: str) -> None:
        """Create the customer account and sign in as it (409 when it exists)."""
        await reachable(
            self.api.sign_in(lambda: self.client.register(self.email, self.password, full_name))
        )

    def refresh_delay(self) -> float:
        """How long to wait before refreshing: ahead of expiry, but not in a tight loop."""
        return max(MIN_REFRESH_PAUSE, self.client.tokens.seconds_until_refresh())

    async def renew(self) -> None:
        """Rotate the tokens for a new pair; log in again if the refresh was refused."""
        try:
            await self.client.refresh()
        except ApiError as exc:
            if exc.status not in (400, 401):
                raise
            await self.login()

    async def token(self, force: bool = False) -> str:
        """A token good for at least a little while; `force` when the last one was refused."""
        if not self.client.signed_in:
            await self.login()
        elif force:
            await self.renew()
        else:
            try:
                return await self.client.tokens.access_token()
            except ApiError as exc:
                if exc.status not in (400, 401):
                    raise
                await self.login()
        return self.access_token

    async def call(
        self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        """Any API call as this person: the decoded JSON answer; ApiError otherwise."""
        return await self.signed_in_call(
            lambda client: client.call(method, path, body, params=params)
        )

    async def signed_in_call(self, action: Callable[[WashlineClient], Awaitable[T]]) -> T:
        """`action` on this person's client, logged in first if need be; ApiError for a
        refusal, and (status 0, `unreachable`) for a server that did not answer."""
        if not self.client.signed_in:
            await self.login()
        try:
            return await reachable(action(self.client))
        except ApiError as exc:
            if exc.status != 401:
                raise
        await self.login()  # the session ended (or its refresh was refused): start anew
        return await reachable(action(self.client))

    async def keep_fresh(self, on_new_token: Callable[[str], Awaitable[None]]) -> None:
        """Forever: refresh ahead of expiry and hand the new token to `on_new_token` (the
        live socket, which would otherwise be closed when the old token expires)."""
        while True:
            await asyncio.sleep(self.refresh_delay())
            try:
                await self.renew()
            except WashlineError:
                await asyncio.sleep(MIN_REFRESH_PAUSE)
                continue
            await on_new_token(self.access_token)


async def washer_session(
    api: Api,
    email: str,
    password: str,
    full_name: str,
    admin: Callable[[], Awaitable[Session | None]],
    *,
    exists: bool = True,
) -> tuple[Session, bool]:
    """Log the washer in, having an admin create the account when it does not exist yet.
    `exists=False` (the admin's washer list lacks it) skips the login that would fail: the
    server's login rate limit is the slowest part of bringing a city up.
    Returns the session and whether the account was created now."""
    session = Session(api, email, password)
    if exists:
        try:
            await session.login()
            return session, False
        except ApiError as exc:
            if exc.status != 401:
                raise
    manager = await admin()
    if manager is None:
        raise ApiError(401, "no_admin", f"{email} does not exist and no admin could create it")
    try:
        await manager.signed_in_call(lambda c: c.create_washer(email, password, full_name))
    except ApiError as exc:
        if exc.status != 409:  # made meanwhile (another run): logging in will tell
            raise
    await session.login()
    return session, True


async def customer_session(
    api: Api, email: str, password: str, full_name: str
) -> tuple[Session, bool]:
    """Log the customer in, registering the account when it does not exist yet (which
    logs in too). Returns the session and whether the account was created now."""
    session = Session(api, email, password)
    try:
        await session.login()
        return session, False
    except ApiError as exc:
        if exc.status != 401:
            raise
    try:
        await session.register(full_name)
    except ApiError as exc:
        if exc.status != 409:
            raise
        await session.login()
        return session, False
    return session, True


async def washer_emails(admin: Session) -> set[str]:
    """Every washer account's email, page by page (the admin API pages at 100)."""
    emails: set[str] = set()
    offset = 0
    while True:
        page = await admin.signed_in_call(_washers_from(offset))
        emails.update(washer.email for washer in page)
        if len(page) < 100:
            return emails
        offset += len(page)


def _washers_from(offset: int) -> Callable[[WashlineClient], Awaitable[list[Washer]]]:
    return lambda client: client.washers(limit=100, offset=offset)
