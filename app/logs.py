"""JSON structured logs, each request's lines carrying its request id.

The same outermost layer adds the security headers of every HTTP answer
(`app.http.response_headers`), since it already rewrites each response's headers, and
records the HTTP request metrics (`app.http.request_metrics`), since it already times each
request and sees its status.

The request id comes from the caller's `X-Request-ID` header when it is sane, else it is
generated; it is echoed in the response so a client's bug report can be matched to our logs.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any, NamedTuple

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from opentelemetry import trace

from app.http.request_metrics import IN_FLIGHT
from app.http.request_metrics import record as record_request
from app.http.response_headers import add_security_headers

REQUEST_ID_HEADER = b"x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = structlog.get_logger("washline.access")


class RequestContext(NamedTuple):
    """What every log line (and audit entry) of a request or socket carries."""

    request_id: str
    client: str | None


_REQUEST: ContextVar[RequestContext | None] = ContextVar("washline_request", default=None)
"""One variable set and reset per request: structlog's `bound_contextvars` sets and resets
one variable per key through a context manager, which cost 7 % of a saturated server's
samples."""


def current_request() -> RequestContext | None:
    """The request or socket being served in this context, None outside one."""
    return _REQUEST.get()


def restore_request(context: RequestContext | None) -> None:
    """Make `context` current for the rest of this task (a handed-off socket's life)."""
    _REQUEST.set(context)


def add_request_context(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Add the current request's ``request_id`` and ``client`` to a line logged inside it."""
    context = _REQUEST.get()
    if context is not None:
        event_dict.setdefault("request_id", context.request_id)
        event_dict.setdefault("client", context.client)
    return event_dict


_TOKEN_IN_QUERY = re.compile(r"(token=)[^&\s\"']+")


class RedactTokens(logging.Filter):
    """Keep access tokens passed as `?token=` (WebSockets, EventSource) out of the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        if isinstance(record.msg, str) and "token=" in record.msg:
            record.msg = _TOKEN_IN_QUERY.sub(r"\1[redacted]", record.msg)
        return True


def add_trace_ids(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Add the current span's ``trace_id`` and ``span_id`` (hex, as trace back-ends show
    them) to a line logged inside a traced request or job; nothing when tracing is off."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = f"{context.trace_id:032x}"
        event_dict["span_id"] = f"{context.span_id:016x}"
    return event_dict


def bind_trace_id(span: trace.Span, _scope: Any) -> None:
    """Server-span hook: bind the request's trace id to its log context, so the access
    line, written after the span ended, carries it too."""
    context = span.get_span_context()
    if context.is_valid:
        structlog.contextvars.bind_contextvars(trace_id=f"{context.trace_id:032x}")


def configure_logging(level: str) -> None:
    """Route structlog and the standard library (uvicorn, sqlalchemy) to JSON lines on stdout."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_request_context,
        add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER:
            candidate = value.decode("latin-1")
            if _SAFE_REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Bind a request id and the client's address to every log line of a request or socket
    (and to the audit entries it writes, `app.audit`) and log one access line.

    On HTTP it also puts `X-Request-ID` and the security headers (`app.http.response_headers`)
    on the response. It has to sit outside Litestar's routing and exception handling, or a
    401 from authentication and a 404/405 from the router would get neither id nor access
    line: `app.asgi.WashlineApp` runs it there. A WebSocket has no HTTP response to mark, so
    its `send` is passed through unwrapped: no frame of a socket goes through this layer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = _incoming_request_id(scope)
        status = {"code": 0}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                add_security_headers(scope, headers)
                message = {**message, "headers": headers}
            await send(message)

        token = _REQUEST.set(_request_context(scope, request_id))
        IN_FLIGHT.start(scope)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            IN_FLIGHT.end(scope)
            seconds = time.perf_counter() - started
            record_request(scope, status["code"], seconds)
            _log_access(scope, status["code"], seconds)
            _REQUEST.reset(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        token = _REQUEST.set(_request_context(scope, _incoming_request_id(scope)))
        try:
            await self.app(scope, receive, send)
        finally:
            _log_access(scope, 0, time.perf_counter() - started)
            _REQUEST.reset(token)


def _request_context(scope: Scope, request_id: str) -> RequestContext:
    client = scope.get("client")
    return RequestContext(request_id, client[0] if client else None)


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    access_log.info(
        "request",
        method=scope.get("method", "WS"),
        path=scope.get("path"),
        status=status or None,
        duration_ms=round(seconds * 1000, 2),
    )
