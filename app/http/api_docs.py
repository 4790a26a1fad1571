"""The interactive API docs, served whole by the app: they work with no internet.

Litestar's render plugins load Swagger UI, Redoc and their fonts from CDNs, which leaves a
blank page offline. The Swagger UI bundle shipped in the `swagger-ui-py` package is served
here instead, from `/schema/assets/`, and Swagger UI is the page at `/schema` and
`/schema/swagger`; the document itself stays at `/schema/openapi.json`.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from litestar import Response, get
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin

from app.http.errors import not_found

ASSETS_PATH = "/schema/assets"
ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
"""What the page needs of the bundle, and nothing else of it."""


@cache
def _asset(name: str) -> bytes:
    return (files("swagger_ui") / "static" / name).read_bytes()


@get(
    f"{ASSETS_PATH}/{{name:str}}",
    include_in_schema=False,
    cache_control=CacheControlHeader(max_age=86400, public=True),
    sync_to_thread=False,
)
def docs_asset(name: str) -> Response[bytes]:
    """One file of the Swagger UI bundle (read from the installed package once)."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise not_found("asset")
    return Response(_asset(name), media_type=media_type)


def render_plugins() -> list[JsonRenderPlugin | SwaggerRenderPlugin]:
    """The document as JSON, and Swagger UI on the app's own copy of its assets."""
    swagger = SwaggerRenderPlugin(
        path=["/", "/swagger"],
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
    )
    return [swagger, JsonRenderPlugin()]
