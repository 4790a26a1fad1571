"""`/sdk/washline.js` and its types `/sdk/washline.d.ts`: public, revalidated on every load
(a deploy must not leave a page on yesterday's protocol code), importable from other origins
(an ES module needs CORS) since they hold no data."""

from __future__ import annotations

from pathlib import Path

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.handlers import HTTPRouteHandler
from litestar.response import File

STATIC_DIR = Path(__file__).resolve().parent / "static"
REVALIDATE = CacheControlHeader(no_cache=True)
_HEADERS = {"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}


@get("/sdk/washline.js", include_in_schema=False, cache_control=REVALIDATE)
async def sdk_module() -> File:
    """The SDK as an ES module (RFC 9239's `text/javascript`: browsers refuse other types)."""
    return File(
        STATIC_DIR / "washline.js",
        filename="washline.js",
        content_disposition_type="inline",
        media_type="text/javascript; charset=utf-8",
        headers=_HEADERS,
    )


@get("/sdk/washline.d.ts", include_in_schema=False, cache_control=REVALIDATE)
async def sdk_types() -> File:
    """The SDK's TypeScript declarations, for editors of pages that import the module."""
    return File(
        STATIC_DIR / "washline.d.ts",
        filename="washline.d.ts",
        content_disposition_type="inline",
        media_type="text/plain; charset=utf-8",
        headers=_HEADERS,
    )


SDK_ROUTES: list[HTTPRouteHandler] = [sdk_module, sdk_types]
"""Everything to register on the application."""
