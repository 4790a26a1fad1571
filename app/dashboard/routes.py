"""Serves the admin dashboard: `/dashboard` (the page) and `/dashboard/static/...` (its assets).

The page is plain HTML, CSS and ES modules shipped inside the package (no build step, nothing
fetched from elsewhere), so an installed wheel or an editable checkout serve the same files.
Neither route needs a token: the page holds no data until the admin signs in, and every API
call it makes carries the admin's bearer token.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from litestar import MediaType, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.handlers import HTTPRouteHandler
from litestar.response import File
from litestar.static_files import create_static_files_router

STATIC_DIR = Path(__file__).resolve().parent / "static"
INDEX_FILE = STATIC_DIR / "index.html"
STATIC_PATH = "/dashboard/static"

# Browsers refuse module scripts served with a non-JavaScript type. Python's table maps `.js`
# to `application/javascript` on some systems; RFC 9239 names `text/javascript`.
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")

# The page, its CSS and scripts must not run from a foreign origin or inline code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# Revalidate every time (ETag / Last-Modified make that a cheap 304): a deploy must never
# leave a console running yesterday's modules against today's API.
REVALIDATE = CacheControlHeader(no_cache=True)


@get(
    ["/dashboard", "/dashboard/"],
    include_in_schema=False,
    media_type=MediaType.HTML,
    cache_control=REVALIDATE,
)
async def dashboard_page() -> File:
    """The console's single page, streamed from the package like any other asset."""
    return File(
        INDEX_FILE,
        filename="index.html",
        content_disposition_type="inline",
        media_type=MediaType.HTML,
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


dashboard_static: Router = create_static_files_router(
    path=STATIC_PATH,
    directories=[STATIC_DIR],
    name="dashboard_static",
    cache_control=REVALIDATE,
    include_in_schema=False,
)

DASHBOARD_ROUTES: list[HTTPRouteHandler | Router] = [dashboard_page, dashboard_static]
"""Everything to register on the application."""
