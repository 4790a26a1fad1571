"""The OpenAPI document tells the truth: every error a route can give, its real media types,
and a token required exactly where the server requires one.

Litestar documents a handler's errors with its default `{status_code, detail, extra}` body and
knows nothing of the answers our guards, middleware and services give. As each route is
registered, `ErrorResponses` asks `app.http.answers` what the handler can answer and declares each
status once, with `ErrorBody` and the list of its `code`s; it sets the handler's `security`
(none on public routes), and the real media type of event streams and of `/metrics`. What a
`ResponseSpec` cannot say (a `Retry-After` header) `finish_document` adds to the built document.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, ClassVar

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.enums import ParamType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIHeader,
    OpenAPIType,
    Operation,
    Parameter,
    Schema,
)
from litestar.plugins import ReceiveRoutePlugin
from litestar.plugins.prometheus import PrometheusController
from litestar.routes import BaseRoute, HTTPRoute

from app.http.answers import Answer, answers_for, needs_token
from app.http.auth import AUTH_OPTIONAL
from app.http.errors import ErrorBody

BEARER = "BearerToken"
"""The one security scheme: `Authorization: Bearer <access token>`."""
EVENT_STREAM = "event_stream"
"""Route opt: the route answers `text/event-stream` (its events: `/asyncapi.json`)."""
RESUMES = "resumes"
"""Route opt, with `EVENT_STREAM`: the stream resumes from `Last-Event-ID` or `?last_event_id=`
(`app.live.sse`)."""
OWN_RESPONSES = "own_responses"
"""Where `ErrorResponses` keeps a handler's own `responses` (the route kwargs' `opt`)."""
RETRY_AFTER_STATUSES = {"429": True, "503": False}
"""Statuses that carry `Retry-After`: always on a 429, on a 503 when the outage has a horizon."""


def _optional(name: str, where: ParamType, description: str) -> Parameter:
    return Parameter(
        name=name,
        param_in=where,
        required=False,
        schema=Schema(type=OpenAPIType.STRING),
        description=description,
    )


TOKEN_QUERY = _optional(
    "token",
    ParamType.QUERY,
    "the access token, for clients that cannot send `Authorization` (a browser's EventSource)",
)
RESUME_PARAMETERS = (
    _optional(
        "Last-Event-ID",
        ParamType.HEADER,
        "the last `id:` received: the stream resumes after it (EventSource sends it when it "
        "reconnects by itself)",
    ),
    _optional(
        "last_event_id",
        ParamType.QUERY,
        "the same, for a new EventSource (say, with a refreshed token); the header wins",
    ),
)


@dataclass
class _StreamOperation(Operation):
    """An event stream's operation: Litestar documents the handler's own parameters, and
    this adds those the stream reads from the connection itself."""

    extra: ClassVar[tuple[Parameter, ...]] = ()

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), *self.extra]


def _stream_operation(extra: tuple[Parameter, ...]) -> type[Operation]:
    return type("StreamOperation", (_StreamOperation,), {"extra": extra})


def error_response(description: str) -> ResponseSpec:
    """An error status documented with `ErrorBody`."""
    return ResponseSpec(data_container=ErrorBody, description=description, generate_examples=False)


def describe(answers: list[Answer]) -> str:
    """One status's description: each `code` it can carry and when."""
    return "; ".join(f"`{a.code}`: {a.when}" for a in answers)


def _success(handler: HTTPRouteHandler, route_path: str) -> dict[int, ResponseSpec]:
    if handler.opt.get(EVENT_STREAM):
        spec = ResponseSpec(
            data_container=str,
            media_type="text/event-stream",
            description="Server-sent events; each `data:` an event envelope (see /asyncapi.json)",
            generate_examples=False,
        )
        return {200: spec}
    if route_path == PrometheusController.path:
        text = ResponseSpec(
            data_container=str,
            media_type="text/plain",
            description="Prometheus text exposition format",
            generate_examples=False,
        )
        return {200: text}
    return {}


class ErrorResponses(ReceiveRoutePlugin):
    """Document each handler's answers with the body clients actually get."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler, kwargs in route.route_handler_map.values():
            self._document(
                handler, answers_for(handler, kwargs, route.path_format), route.path_format
            )

    @staticmethod
    def _document(handler: HTTPRouteHandler, answers: list[Answer], path: str) -> None:
        by_status: dict[int, list[Answer]] = defaultdict(list)
        for answer in answers:
            by_status[answer.status].append(answer)
        specs = {status: error_response(describe(found)) for status, found in by_status.items()}
        # A handler's own error descriptions add to the derived ones rather than hide them.
        # Its original `responses` are kept in `opt`, so the result is the same however often
        # a handler is registered; assigning leaves a shared `responses` mapping alone.
        own: dict[int, ResponseSpec] = handler.opt.setdefault(
            OWN_RESPONSES, dict(handler.responses or {})
        )
        merged = {**specs, **_success(handler, path)}
        for status, spec in own.items():
            if status in by_status and spec.data_container is ErrorBody:
                spec = error_response(f"{describe(by_status[status])}; {spec.description}")
            merged[status] = spec
        handler.responses = merged
        token = needs_token(handler, path)
        if token:
            handler.security = [{BEARER: []}]
        elif handler.opt.get(AUTH_OPTIONAL):
            handler.security = [{}, {BEARER: []}]
        if handler.opt.get(EVENT_STREAM):
            extra = ((TOKEN_QUERY,) if token else ()) + (
                RESUME_PARAMETERS if handler.opt.get(RESUMES) else ()
            )
            if extra:
                handler.operation_class = _stream_operation(extra)


def finish_document(openapi: OpenAPI) -> OpenAPI:
    """What a `ResponseSpec` cannot declare: `Retry-After` on 429 and 503, and no global
    `security` (each operation says its own)."""
    openapi.security = None
    for item in (openapi.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation: Operation | None = getattr(item, method)
            for status, required in RETRY_AFTER_STATUSES.items():
                response: Any = (operation.responses or {}).get(status) if operation else None
                if response is not None:
                    response.headers = {
                        "Retry-After": OpenAPIHeader(
                            schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
                            description="seconds to wait before retrying",
                            required=required,
                        )
                    }
    return openapi


class _FinishedOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, building the finished document (same slots, one override)."""

    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        return finish_document(super()._build_openapi())


def install(app: Litestar) -> None:
    """Make `app` serve the finished document, built lazily and once, as Litestar does.

    Litestar creates its OpenAPI plugin itself, with no hook after the build; the instance
    (slotted, its schema routes bound to it) becomes the subclass above in place."""
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = _FinishedOpenAPIPlugin
