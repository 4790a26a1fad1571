"""Endpoints that take a JSON body refuse a body declared as anything else (415), and a
body nested too deeply to decode (400 `json_too_deep`).

Litestar decodes the body by the handler's signature, not by the request's `Content-Type`, so
without this check JSON sent as `text/plain` is quietly accepted and a form-encoded body is
fed to the JSON decoder. One app-level guard applies the rule to every handler with a `data`
parameter; it lives here rather than in each controller so no new endpoint can forget it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.params import BodyKwarg

from app.http.errors import ApiError

TOO_DEEP = "json_too_deep"


class JsonBodyRequest(Request[Any, Any, Any]):
    """The app's request class: a JSON body too deeply nested to decode is the client's fault.

    The decoder recurses once per nesting level and raises `RecursionError` near the
    interpreter's limit (about a thousand levels), which is not a decode error, so it
    reached the 500 handler and logged a traceback per request. Every JSON body, on public
    routes as well, is decoded here (Litestar reads `data` through `Request.json`), so this
    is the one place that turns it into a 400. No real body of this API nests more than a
    few levels.
    """

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise ApiError(400, TOO_DEEP, "the JSON body is nested too deeply to be read") from None


def _is_json(media_type: str) -> bool:
    """`application/json` and the structured `+json` types (RFC 6839), e.g. merge-patch."""
    return media_type == RequestEncodingType.JSON.value or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def takes_json_body(handler: BaseRouteHandler) -> bool:
    """Whether the handler declares a `data` body decoded as JSON (Litestar's default).

    Handlers that ask for a form or multipart body (`Body(media_type=...)`) are left to
    Litestar, which parses those by their declared type.
    """
    if not isinstance(handler, HTTPRouteHandler):
        return False
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return False
    declared = data.kwarg_definition
    if isinstance(declared, BodyKwarg):
        return _is_json(str(getattr(declared.media_type, "value", declared.media_type)))
    return True


async def json_bodies_only(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Refuse a declared non-JSON `Content-Type` on a JSON endpoint with 415.

    A request that declares no content type keeps being read as JSON: an empty one is then a
    validation error naming the body, and clients that omit the header on a JSON body keep
    working. A form-encoded body is refused here too: it is a body of the wrong media type,
    whatever its bytes happen to be. A coroutine so that Litestar does not run it in a
    worker thread (it does with plain functions).
    """
    if connection.scope["type"] != "http" or not takes_json_body(handler):
        return
    declared = connection.headers.get("content-type")
    if declared is None:
        return
    media_type = declared.split(";", 1)[0].strip().lower()
    if not _is_json(media_type):
        raise ApiError(
            415,
            "unsupported_media_type",
            "this endpoint takes a JSON body: send it with Content-Type: application/json",
        )
