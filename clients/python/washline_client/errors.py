"""What the SDK raises: one base class, so an app can catch everything Washline-specific."""

from __future__ import annotations


class WashlineError(Exception):
    """Base of every error the SDK raises."""


class ApiError(WashlineError):
    """The server refused a REST request; `code` is the stable machine-readable reason.

    `retry_after` is how many seconds the server asked the caller to wait before trying
    again (a 429's or a 503's `Retry-After`), None when it did not say."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


class LiveError(WashlineError):
    """The server answered a live op with an `error` frame (the connection stays)."""

    def __init__(self, code: str, message: str, frame: dict[str, object] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.frame = frame or {}


class RequestTimeout(WashlineError):
    """No answer in time: a REST request or a live op outlived its timeout.

    The request may still have been carried out; REST writes carry an `Idempotency-Key`, so
    repeating the same call through the SDK is safe.
    """

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what}: no answer within {seconds:g} s")
        self.what = what
        self.seconds = seconds


class NotConnected(WashlineError):
    """A live op was sent while the connection is down or only listening (SSE)."""


class ConnectionRefused(WashlineError):
    """The server ended the live connection for good (e.g. close 4003): do not reconnect."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"connection closed for good: {code} {reason}")
        self.code = code
        self.reason = reason


ACCESS_REVOKED = "access_revoked"
"""The error code that says the session is over (revoked, password changed, account
deactivated or erased): the user must log in again."""


class SessionEnded(WashlineError):
    """The server ended the session itself (`code` `access_revoked`; `reason` says why:
    `session_revoked`, `password_changed`, `account_deactivated`, `account_erased`, or
    `refresh_refused` when a 4001 was followed by a refused refresh). The live connection
    is closed for good and never reconnects: the user must log in again."""

    def __init__(self, code: str, reason: str, message: str = "") -> None:
        super().__init__(f"session ended: {code} ({reason or 'no reason given'})")
        self.code = code
        self.reason = reason
        self.message = message
