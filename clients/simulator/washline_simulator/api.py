"""The simulator's way to the HTTP API: the client SDK's (`washline_client`), one client per
simulated person on one shared connection pool: the simulator is a client of the public
API like any other app.

Every simulated person has their own tokens, and the whole city shares one pool, so at most
`max_in_flight` requests are under way at once. Login and registration share one
per-address budget on the server: they take turns behind one gate, and a 429 is waited out
for as long as the server says. Retries happen only where a retry cannot do something twice
(the SDK's `RetryPolicy`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from washline_client import ApiError as SdkApiError
from washline_client import RetryPolicy, WashlineClient
from washline_client import WashlineError as SdkWashlineError

T = TypeVar("T")

REQUEST_TIMEOUT = 15.0
ATTEMPTS = 3
"""Tries of one request in all (the SDK repeats only what is safe to repeat)."""
DEFAULT_RATE_LIMIT_WAIT = 5.0
"""How long a 429 that names no wait holds the login gate."""


ApiError = SdkApiError
"""The server said no (`status` >= 400, `code`, `message`, `retry_after`)."""
WashlineError = SdkWashlineError
"""Anything the SDK raises: a refusal, a timeout, or a server it could not reach."""


async def reachable(work: Awaitable[T]) -> T:
    """`work`'s result; a server that did not answer (the SDK's timeout or transport error)
    as ApiError status 0 `unreachable`, so the city handles every failure of a request in
    one `except ApiError`."""
    try:
        return await work
    except ApiError:
        raise
    except SdkWashlineError as exc:
        raise ApiError(0, "unreachable", str(exc)) from exc


class AuthGate:
    """Login and registration share one per-address budget on the server, and every client
    of the city comes from the same address: take turns, and after a 429 let everyone wait
    out the window together instead of hammering it."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._resume_at = 0.0

    async def __aenter__(self) -> AuthGate:
        await self._lock.acquire()
        delay = self._resume_at - time.monotonic()
        if delay > 0:
            try:
                await asyncio.sleep(delay)
            except BaseException:
                self._lock.release()
                raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._lock.release()

    def block_for(self, seconds: float) -> None:
        self._resume_at = max(self._resume_at, time.monotonic() + seconds)


class Api:
    """The whole city's way to the HTTP API: one connection pool, a client per person on
    it, and the login gate."""

    def __init__(
        self,
        base_url: str,
        *,
        max_in_flight: int = 8,
        transport: httpx.AsyncBaseTransport | None = None,
        on_rate_limited: Callable[[float], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            # No pool timeout: a request waiting for one of the `max_in_flight` connections
            # is queued, not failed.
            timeout=httpx.Timeout(REQUEST_TIMEOUT, pool=None),
            limits=httpx.Limits(max_connections=max_in_flight),
            transport=transport,
            headers={"user-agent": "washline-simulator"},
        )
        self._gate = AuthGate()
        self._on_rate_limited = on_rate_limited
        self._retry = RetryPolicy(attempts=ATTEMPTS, on_wait=self._waited)

    def _waited(self, status: int, seconds: float) -> None:
        if status == 429 and self._on_rate_limited is not None:
            self._on_rate_limited(seconds)

    def client(self) -> WashlineClient:
        """A new SDK client (one person's tokens) on the city's pool."""
        return WashlineClient(
            self.base_url, timeout=REQUEST_TIMEOUT, http=self._http, retry=self._retry
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def health(self) -> None:
        """Returns when the server answers; ApiError (status 0 when it did not answer)."""
        once = WashlineClient(self.base_url, timeout=REQUEST_TIMEOUT, http=self._http)
        await reachable(once.health())

    async def sign_in(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Login or registration, queued behind the rate limit; waits out 429s for as long
        as the server says, never less (the caller cancels it to give up)."""
        while True:
            async with self._gate:
                try:
                    return await attempt()
                except ApiError as exc:
                    if exc.status != 429:
                        raise
                    wait = exc.retry_after
                    if wait is None:
                        wait = DEFAULT_RATE_LIMIT_WAIT
                    self._gate.block_for(max(wait, 0.5))
                    if self._on_rate_limited is not None:
                        self._on_rate_limited(wait)
