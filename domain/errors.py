"""Refusals: the one way a rule or a service says "no", with no transport in sight.

A refusal carries a stable machine-readable ``code`` (clients branch on it), a human
``message`` and optional ``fields`` for the client (e.g. the current ``version``). Its
``kind`` says what sort of "no" it is; each edge translates kinds in one place: HTTP maps a
kind to a status code, the WebSocket sends the code in an error frame. Services therefore
never pick an HTTP status, and one service call serves every transport the same way.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class RefusalKind(StrEnum):
    UNAUTHENTICATED = "unauthenticated"
    """The caller's credentials (password, refresh token, second-factor proof) do not hold."""
    NOT_FOUND = "not_found"
    """Absent, or invisible to the caller: the two are answered alike so nothing leaks."""
    FORBIDDEN = "forbidden"
    """Visible, but this caller may not do this."""
    CONFLICT = "conflict"
    """Not possible in the current state (or another change won a race); reload, rethink."""
    INVALID = "invalid"
    """The request itself is wrong; sending it again unchanged will fail again."""
    UNPROCESSABLE = "unprocessable"
    """Well formed, but at odds with what the request claims to be (e.g. an idempotency key
    sent again with another body)."""
    RATE_LIMITED = "rate_limited"
    """Too many requests; slow down."""
    UNAVAILABLE = "unavailable"
    """Temporarily impossible; retry later."""


GENERIC_KINDS: dict[str, RefusalKind] = {kind.value: kind for kind in RefusalKind}
"""A code that names a kind (``not_found``, ``forbidden``, ...) is of that kind wherever it
is raised, so a refusal whose class covers several kinds still reads as the code says."""


class Refusal(Exception):
    """A refused request. ``str(refusal)`` is the message.

    The kind is, in order: the ``kind`` argument, the class's ``default_kind``, the kind a
    generic code names, else ``INVALID``.
    """

    default_kind: ClassVar[RefusalKind | None] = None

    def __init__(
        self, code: str, message: str, *, kind: RefusalKind | None = None, **fields: Any
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields: dict[str, Any] = fields
        self.kind: RefusalKind = (
            kind or self.default_kind or GENERIC_KINDS.get(code, RefusalKind.INVALID)
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, kind={self.kind.value})"


class Unauthenticated(Refusal):
    default_kind = RefusalKind.UNAUTHENTICATED


class NotFound(Refusal):
    default_kind = RefusalKind.NOT_FOUND


class Forbidden(Refusal):
    default_kind = RefusalKind.FORBIDDEN


class Conflict(Refusal):
    default_kind = RefusalKind.CONFLICT


class Invalid(Refusal):
    default_kind = RefusalKind.INVALID


class RateLimited(Refusal):
    """Too many requests; ``retry_after`` (seconds), when known, tells the client when to
    come back (HTTP sends it as ``Retry-After``, never in the body)."""

    default_kind = RefusalKind.RATE_LIMITED

    def __init__(self, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


class Unavailable(Refusal):
    default_kind = RefusalKind.UNAVAILABLE


def not_found(what: str) -> NotFound:
    """The refusal for a missing (or hidden) ``what``, worded the same everywhere."""
    return NotFound("not_found", f"{what} not found")
