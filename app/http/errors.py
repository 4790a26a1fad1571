"""Every error a client sees is JSON: a stable machine-readable `code` and a human `message`.

Services raise domain refusals (`domain.errors.Refusal`) and know nothing of HTTP; this is
the one place that gives each kind of refusal its status (`STATUS_BY_KIND`). Controllers may
still raise `ApiError` for purely HTTP matters (or let Litestar raise its own). The handlers
here turn everything into the same shape, so clients branch on `code`, never on prose.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_500_INTERNAL_SERVER_ERROR
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.http.retry_after import with_retry_after
from app.http.validation_errors import (
    MISSING_BODY_MESSAGE,
    is_missing_body,
    is_undecodable_body,
    validation_errors,
)
from domain.errors import Refusal, RefusalKind
from persistence.database import (
    DATABASE_DOWN,
    DATABASE_RETRY_AFTER_SECONDS,
    lost_connection,
)
from realtime.broker import BrokerUnavailable

log = structlog.get_logger("washline.errors")

CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


STATUS_BY_KIND: dict[RefusalKind, int] = {
    RefusalKind.INVALID: 400,
    RefusalKind.UNAUTHENTICATED: 401,
    RefusalKind.FORBIDDEN: 403,
    RefusalKind.NOT_FOUND: 404,
    RefusalKind.CONFLICT: 409,
    RefusalKind.UNPROCESSABLE: 422,
    RefusalKind.RATE_LIMITED: 429,
    RefusalKind.UNAVAILABLE: 503,
}
"""The HTTP status of each kind of refusal; the only place a refusal meets a status code."""


class ApiError(HTTPException):
    """An HTTP error with a stable `code` clients can branch on."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(
            status_code=status_code, detail=message, headers=headers, extra=extra or None
        )
        self.code = code


class FieldError(msgspec.Struct):
    """One rejected input of a `validation_error`."""

    field: Annotated[
        str | None, msgspec.Meta(description="the field or parameter, e.g. `lat`, `fixes[2].ts`")
    ]
    source: Annotated[
        str | None, msgspec.Meta(description="where it was sent: body, query, path, header")
    ]
    message: Annotated[str, msgspec.Meta(description="what is wrong with it")]


class ErrorBody(msgspec.Struct):
    """The body of every error response (what `_body` below builds), for the OpenAPI document.

    Litestar would otherwise document its default `{status_code, detail, extra}`, a shape
    this API never sends; `app.http.openapi.ErrorResponses` puts this one on every operation.
    """

    code: Annotated[
        str,
        msgspec.Meta(
            description="stable machine-readable reason, e.g. validation_error, not_found",
            examples=["validation_error"],
        ),
    ]
    message: Annotated[str, msgspec.Meta(description="human-readable explanation; may change")]
    errors: Annotated[
        list[FieldError] | msgspec.UnsetType,
        msgspec.Meta(description="the rejected inputs; only on validation_error"),
    ] = msgspec.UNSET


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def _body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **extra}


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        if is_missing_body(exc):
            missing = {"field": None, "source": "body", "message": MISSING_BODY_MESSAGE}
            body = _body("validation_error", MISSING_BODY_MESSAGE, errors=[missing])
            return Response(body, status_code=400, media_type=MediaType.JSON)
        errors = validation_errors(exc)
        fields = ", ".join(str(e["field"]) for e in errors if e["field"])
        message = f"invalid value for {fields}" if fields else exc.detail
        body = _body("validation_error", message, errors=errors)
        return Response(body, status_code=400, media_type=MediaType.JSON)
    code = getattr(exc, "code", None) or CODE_BY_STATUS.get(status, "error")
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    if status == 400 and code == "bad_request" and is_undecodable_body(exc):
        code = "malformed_json"
    headers = getattr(exc, "headers", None)
    return Response(
        _body(code, exc.detail or code, **extra),
        status_code=status,
        media_type=MediaType.JSON,
        headers=with_retry_after(headers) if status == 429 else headers,
    )


def handle_refusal(request: Request[Any, Any, Any], exc: Refusal) -> Response[Any]:
    """A domain refusal: its code, message and fields as the body, its kind as the status."""
    retry_after = getattr(exc, "retry_after", None)
    status = STATUS_BY_KIND[exc.kind]
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Response(
        _body(exc.code, exc.message, **exc.fields),
        status_code=status,
        media_type=MediaType.JSON,
        headers=with_retry_after(headers) if status == 429 else headers,
    )


def handle_conflict(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A lost optimistic-concurrency race or a uniqueness clash: the client should reload."""
    message = "the resource was changed concurrently; reload and retry"
    if isinstance(exc, IntegrityError):
        message = "the change conflicts with existing data"
    return Response(
        _body("conflict", message), status_code=HTTP_409_CONFLICT, media_type=MediaType.JSON
    )


DATABASE_UNAVAILABLE = "database_unavailable"
"""The code of a refusal because the database is away (REST 503, live ops' error frame)."""


def handle_database_down(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database is away: 503 with `Retry-After`, never a 500 (the request may be retried)."""
    log.warning("database unavailable", path=request.url.path, error=type(exc).__name__)
    return Response(
        _body(DATABASE_UNAVAILABLE, "the database is unavailable right now; retry shortly"),
        status_code=503,
        media_type=MediaType.JSON,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


REDIS_RETRY_AFTER_SECONDS = 2
REDIS_DOWN: tuple[type[Exception], ...] = (
    BrokerUnavailable,
    RedisConnectionError,
    RedisTimeoutError,
)
"""What reaching Redis raises while it is down or restarting. Each Redis helper already
retries once on a fresh connection and degrades where it can; what still escapes to a
request is the outage itself, not the request's fault."""


def redis_down_headers() -> dict[str, str]:
    return {"Retry-After": str(REDIS_RETRY_AFTER_SECONDS)}


def handle_redis_down(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Redis is away: 503 `redis_unavailable` with `Retry-After`, never a 500."""
    log.warning("redis unavailable", path=request.url.path, error=type(exc).__name__)
    return Response(
        _body("redis_unavailable", "live services are unavailable right now; retry shortly"),
        status_code=503,
        media_type=MediaType.JSON,
        headers=redis_down_headers(),
    )


def handle_database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """Any other driver error: 503 when the connection was lost, else a genuine 500."""
    if lost_connection(exc):
        return handle_database_down(request, exc)
    return handle_unexpected(request, exc)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", path=request.url.path)
    return Response(
        _body("internal_error", "internal server error"),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    HTTPException: handle_http_exception,
    Refusal: handle_refusal,
    StaleDataError: handle_conflict,
    IntegrityError: handle_conflict,
    **{kind: handle_database_down for kind in DATABASE_DOWN},
    **{kind: handle_redis_down for kind in REDIS_DOWN},
    DBAPIError: handle_database_error,
    HTTP_500_INTERNAL_SERVER_ERROR: handle_unexpected,
}
