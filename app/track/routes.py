"""The shareable live tracking page: `/track/{token}` and its assets under `/track/static/`.

No login: the token in the path is the credential, and the page reads it from its own URL.
A token that does not work gets the "link ended" page with 404, so a browser shows the
recipient a clear sentence rather than an empty map. Same offline promise as the dashboard:
plain HTML, CSS and ES modules shipped in the package; the map is drawn by the page itself.
"""

from __future__ import annotations

from pathlib import Path

from litestar import MediaType, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.handlers import HTTPRouteHandler
from litestar.response import File
from litestar.static_files import create_static_files_router
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.routes import CONTENT_SECURITY_POLICY
from app.services import shares
from domain.errors import Refusal

STATIC_DIR = Path(__file__).resolve().parent / "static"
REVALIDATE = CacheControlHeader(no_cache=True)
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # The token is in the URL: never hand it to another site as a referrer, never index it.
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


@get(
    "/track/{token:str}",
    include_in_schema=False,
    media_type=MediaType.HTML,
    cache_control=CacheControlHeader(no_store=True),
)
async def track_page(token: str, db_session: AsyncSession) -> File:
    """The page when the link works, else the "link ended" page (404)."""
    try:
        await shares.resolve(db_session, token)
    except Refusal:
        return File(
            STATIC_DIR / "ended.html",
            filename="ended.html",
            content_disposition_type="inline",
            media_type=MediaType.HTML,
            status_code=404,
            headers=_PAGE_HEADERS,
        )
    return File(
        STATIC_DIR / "index.html",
        filename="index.html",
        content_disposition_type="inline",
        media_type=MediaType.HTML,
        headers=_PAGE_HEADERS,
    )


track_static: Router = create_static_files_router(
    path="/track/static",
    directories=[STATIC_DIR],
    name="track_static",
    cache_control=REVALIDATE,
    include_in_schema=False,
)

TRACK_ROUTES: list[HTTPRouteHandler | Router] = [
    track_static,
    Router(path="/", route_handlers=[track_page]),
]
"""Everything to register on the application. The page is in a router so that each app
registers a copy of it, to which it adds the share routes' limit (`app.http.route_layers`)."""
