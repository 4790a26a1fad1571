"""Simulated people's accounts: log in, or create the account first; keep the token fresh.

The city is meant to be restarted at will against the same server, so every account is
looked up before it is made: a second run logs the same washers and customers back in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from app.simulator.clients import Api, ApiError

REFRESH_MARGIN = 60.0
"""Refresh this many seconds before the access token expires (less for very short TTLs)."""
MIN_REFRESH_PAUSE = 5.0


def _expiry(value: Any) -> float:
    """Epoch seconds of the server's `expires_at` (ISO-8601); soon, when unreadable."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time() + 120


class Session:
    """One person's tokens. Requests that meet a 401 renew the token once and retry."""

    def __init__(self, api: Api, email: str, password: str) -> None:
        self.api = api
        self.email = email
        self.password = password
        self.user_id = 0
        self.role = ""
        self.access_token = ""
        self.refresh_token = ""
        self.expires_at = 0.0
        self._renewing = asyncio.Lock()

    def adopt(self, pair: dict[str, Any]) -> None:
        """Take the tokens of a login, registration or refresh answer."""
        self.access_token = str(pair["access_token"])
        self.refresh_token = str(pair["refresh_token"])
        self.expires_at = _expiry(pair.get("expires_at"))
        user = pair.get("user") or {}
        self.user_id = int(user.get("id", self.user_id))
        self.role = str(user.get("role", self.role))

    async def login(self) -> None:
        """Raises ApiError (401 when the account does not exist or the password is wrong)."""
        self.adopt(
            await self.api.auth_call(
                "/api/auth/login", {"email": self.email, "password": self.password}
            )
        )

    def seconds_left(self) -> float:
        return self.expires_at - time.time()

    def refresh_delay(self) -> float:
        """How long to wait before refreshing: ahead of expiry, but not in a tight loop."""
        lifetime_left = self.seconds_left()
        margin = min(REFRESH_MARGIN, max(lifetime_left * 0.2, 1.0))
        return max(MIN_REFRESH_PAUSE, lifetime_left - margin)

    async def renew(self) -> None:
        """Rotate the refresh token for a new pair; log in again if it was refused."""
        async with self._renewing:
            try:
                pair = await self.api.call(
                    "POST", "/api/auth/refresh", body={"refresh_token": self.refresh_token}
                )
                self.adopt(pair)
            except ApiError as exc:
                if exc.status not in (400, 401):
                    raise
                await self.login()

    async def token(self, force: bool = False) -> str:
        """A token good for at least a little while; `force` when the last one was refused."""
        if force or not self.access_token or self.seconds_left() < 30:
            if self.refresh_token:
                await self.renew()
            else:
                await self.login()
        return self.access_token

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return await self.api.call(method, path, token=await self.token(), **kwargs)
        except ApiError as exc:
            if exc.status != 401:
                raise
        return await self.api.call(method, path, token=await self.token(force=True), **kwargs)

    async def keep_fresh(self, on_new_token: Callable[[str], Awaitable[None]]) -> None:
        """Forever: refresh ahead of expiry and hand the new token to `on_new_token` (the
        live socket, which would otherwise be closed when the old token expires)."""
        while True:
            await asyncio.sleep(self.refresh_delay())
            try:
                await self.renew()
            except ApiError:
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
        await manager.call(
            "POST",
            "/api/washers",
            body={"email": email, "password": password, "full_name": full_name},
        )
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
        session.adopt(
            await api.auth_call(
                "/api/auth/register",
                {"email": email, "password": password, "full_name": full_name},
            )
        )
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
        page = await admin.call("GET", "/api/washers", params={"limit": 100, "offset": offset})
        emails.update(str(washer["email"]) for washer in page)
        if len(page) < 100:
            return emails
        offset += len(page)
