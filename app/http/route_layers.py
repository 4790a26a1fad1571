"""The per-route layers: each middleware only on the routes it applies to.

The per-address limit of logins and registrations, the share routes' limit and idempotency
keys used to be app-level middleware, so every request of every route went through each of
them to be let by: a frame, a `Request` and a path check per layer, about 3 % of a saturated
server's samples. `RouteLayers` mounts each on the handlers that need it as the app registers
them, by the same rule the layer used to apply to each request:

- the login limit on the routes of `RATE_LIMITED_PATHS`;
- the share limit on the routes whose template matches `SHARE_PATHS`;
- idempotency on the handlers marked `IDEMPOTENT` (their `opt`).

Each layer keeps its own check as well, so a route mounted by mistake still passes through.
Handlers are changed in place, so only handlers the app owns a copy of may take a layer:
a controller's (Litestar copies them per registration) or a router's (copied with the
router); a bare function registered on the app is shared by every app built in the
process and is refused at build time.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.exceptions import ImproperlyConfiguredException
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from app.http.answers import RATE_LIMITED_PATHS
from app.http.idempotency import OPT_KEY as IDEMPOTENT
from app.http.share_limits import SHARE_PATHS


class RouteLayers(ReceiveRoutePlugin):
    """Puts this app's instances of the layers on the handlers that need them."""

    def __init__(self, *, login_limit: Any, share_limit: Any, idempotency: Any) -> None:
        self.login_limit = login_limit
        self.share_limit = share_limit
        self.idempotency = idempotency

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return  # the layers are HTTP only; a socket's route takes none of them
        for handler in route.route_handlers:
            if route.path in RATE_LIMITED_PATHS:
                _mount(handler, self.login_limit)
            if SHARE_PATHS.match(route.path):
                _mount(handler, self.share_limit)
            if handler.opt.get(IDEMPOTENT):
                _mount(handler, self.idempotency)


def _mount(handler: Any, layer: Any) -> None:
    """Add `layer` to the handler's own middleware, once: a route is received again when
    another handler joins its path."""
    if isinstance(handler.owner, Litestar):
        raise ImproperlyConfiguredException(
            f"{handler} is registered on the app itself: put it in a controller or router, "
            "so that each app has its own copy to mount its layers on"
        )
    own = list(handler.middleware or [])
    if not any(existing is layer for existing in own):
        handler.middleware = [*own, layer]
