"""Sending one REST request: the bearer token, the `{code, message}` refusal turned into
`ApiError` (with the `Retry-After` it carried), timeouts into `RequestTimeout`, and the
repeats a `RetryPolicy` allows."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from washline_client.errors import ApiError, RequestTimeout, WashlineError
from washline_client.retries import GATEWAY_STATUSES, REFUSED_STATUSES, RetryPolicy, retry_after


class Sender:
    """Sends requests on an `httpx.AsyncClient` (possibly shared by many users' clients)."""

    def __init__(self, http: httpx.AsyncClient, timeout: float, retry: RetryPolicy) -> None:
        self.http = http
        self.timeout = timeout
        self.retry = retry

    async def send(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        params: dict[str, Any] | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        repeatable: bool | None = None,
    ) -> Any:
        """The decoded JSON answer (None when empty). `repeatable` overrides whether a lost
        answer may be asked again (False for a token refresh, which must never be sent
        twice); by default GET/PUT/DELETE and keyed POSTs may."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if repeatable is None:
            repeatable = self.retry.repeatable(method, "Idempotency-Key" in sent)
        policy = self.retry
        for attempt in range(1, policy.attempts + 1):
            last = attempt == policy.attempts
            try:
                response = await self.http.request(
                    method, path, json=json, params=params, headers=sent
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as failed:
                if last:  # never reached the server: always safe to try again
                    raise WashlineError(f"{method} {path}: {failed!r}") from failed
            except httpx.TimeoutException:
                if last or not repeatable:
                    raise RequestTimeout(f"{method} {path}", self.timeout) from None
            except httpx.TransportError as failed:
                if last or not repeatable:
                    raise WashlineError(f"{method} {path}: {failed!r}") from failed
            else:
                if response.status_code < 400:
                    return response.json() if response.content else None
                refused = refusal(response)
                if last:
                    raise refused
                if response.status_code in REFUSED_STATUSES:
                    wait = refused.retry_after
                    if wait is None:
                        wait = policy.delay(attempt)
                    if wait > policy.max_wait:
                        raise refused  # asked to wait longer than we may: never sooner
                    if policy.on_wait is not None:
                        policy.on_wait(response.status_code, wait)
                    await asyncio.sleep(wait)
                    continue
                if response.status_code not in GATEWAY_STATUSES or not repeatable:
                    raise refused
            await asyncio.sleep(policy.delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover - the last attempt returns or raises


def refusal(response: httpx.Response) -> ApiError:
    """The server's `{code, message}` as an `ApiError` (a generic one for other bodies);
    `retry_after` only for a 429 or 503: other answers carry the limiter's headers too, but
    they ask for no wait."""
    wait = retry_after(response.headers) if response.status_code in REFUSED_STATUSES else None
    try:
        body = response.json()
        code, message = str(body["code"]), str(body.get("message", ""))
    except (ValueError, KeyError, TypeError):
        code, message = "http_error", response.text[:200]
    return ApiError(response.status_code, code, message, wait)
