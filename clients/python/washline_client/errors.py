"""What the SDK raises: one base class, so an app can catch everything Washline-specific."""

from __future__ import annotations


class WashlineError(Exception):
    """Base of every error the SDK raises."""


class ApiError(WashlineError):
    """The server refused a REST request; `code` is the stable machine-readable reason."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


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
