"""The OpenAPI document describes error responses as the `ErrorBody` the API really sends.

Litestar documents a handler's errors (a 400 when it takes input, one response per exception
in `raises=`) with its default `{status_code, detail, extra}` body, which `app.errors`
replaces with `{code, message, errors?}` on every response. Litestar 2 has no app- or
router-level `responses=`, so this plugin gives every route handler, as it is registered,
`ResponseSpec`s for those statuses with `ErrorBody`, plus 415 where a JSON body is
required (`app.content_types`). A handler's own `responses=` entries win.
"""

from __future__ import annotations

from http import HTTPStatus

from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from app.content_types import takes_json_body
from app.errors import ErrorBody

INVALID_INPUT = (
    "Invalid input: `validation_error` with `errors` naming each rejected field, or "
    "`malformed_json` for a body that is not JSON"
)


def error_response(description: str) -> ResponseSpec:
    """An error status documented with `ErrorBody`, for a handler's own `responses=` (e.g.
    the refusals its service raises: `{404: error_response("...")}`)."""
    return ResponseSpec(data_container=ErrorBody, description=description, generate_examples=False)


class ErrorResponses(ReceiveRoutePlugin):
    """Document each handler's error responses with the body clients actually get."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler, kwargs in route.route_handler_map.values():
            takes_input = bool(
                kwargs.expected_path_params
                or kwargs.expected_query_params
                or kwargs.expected_header_params
                or kwargs.expected_cookie_params
                or kwargs.expected_form_data
                or kwargs.expected_msgpack_data
                or "data" in kwargs.expected_reserved_kwargs
            )
            self._document(handler, takes_input)

    @staticmethod
    def _document(handler: HTTPRouteHandler, takes_input: bool) -> None:
        specs: dict[int, ResponseSpec] = {}
        # The statuses Litestar itself would document, with its own body.
        for exc in handler.raises or ():
            detail = getattr(exc, "detail", "") or HTTPStatus(exc.status_code).phrase
            specs[exc.status_code] = error_response(detail)
        if takes_input:
            specs[400] = error_response(INVALID_INPUT)
        if takes_json_body(handler):
            specs[415] = error_response("The body was declared as something other than JSON")
        # Assigning (rather than updating in place) leaves a shared `responses` mapping alone;
        # the result is the same however often a handler is registered.
        handler.responses = {**specs, **(handler.responses or {})}
