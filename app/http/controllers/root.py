"""`/`: where someone who just started the server lands.

A browser (it asks for `text/html`) is sent to the dashboard, the only page there is; any
other client gets a small JSON index of where to go next, instead of a bare 404 that makes
a working server look broken.
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.response import Redirect

from app.http.auth import AUTH_OPTIONAL

LINKS = {
    "dashboard": "/dashboard",
    "schema": "/schema",
    "health": "/health",
    "ready": "/ready",
}


def wants_html(accept: str) -> bool:
    """Whether the Accept header prefers HTML to JSON (browsers list text/html first; API
    clients send application/json, */* or nothing)."""
    best: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best[media.lower()] = max(quality, best.get(media.lower(), 0.0))
    html = best.get("text/html", 0.0)
    return html > 0 and html >= best.get("application/json", 0.0)


@get(
    "/",
    opt={AUTH_OPTIONAL: True},
    tags=["operations"],
    summary="API index (browsers are redirected to the dashboard)",
    media_type=MediaType.JSON,
)
async def root(request: Request[Any, Any, Any]) -> Response[dict[str, Any]] | Redirect:
    headers = {"Vary": "Accept"}
    if wants_html(request.headers.get("accept", "")):
        return Redirect(LINKS["dashboard"], status_code=303, headers=headers)
    return Response({"name": "Washline", "links": LINKS}, headers=headers)
