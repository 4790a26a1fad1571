"""What the dashboard needs beyond the live stream: the latest order events (to fill the
event feed the moment the page opens) and the name of an order's customer.

The feed is filled from the `ops` channel's own history, the same events the stream
carries, so the backfill and the live feed are one list. The stream is not used for this:
it resumes from a position, and a page that has none has nothing to resume from.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.dependencies import Injected
from app.http.auth import admin_only
from app.http.controllers.params import id_path
from app.http.errors import not_found
from app.lifecycle import Runtime
from domain.channels import OPS
from persistence.models import User
from realtime.broker import BrokerUnavailable
from realtime.envelope import Envelope, format_id, parse_id

FEED_EVENTS = frozenset({"order.created", "order.status"})
"""What the feed lists; positions and KPI ticks fill most of `ops` and are not news."""
MAX_RECENT = 200


class RecentEvent(msgspec.Struct):
    """An `ops` event as the stream's `data:` carries it."""

    id: str
    event: str
    ts: str
    data: msgspec.Raw


class Person(msgspec.Struct):
    id: int
    full_name: str
    email: str
    role: str


def _recent(event: Envelope) -> RecentEvent:
    return RecentEvent(event.id, event.event, event.ts, msgspec.Raw(event.raw_data))


async def recent_order_events(runtime: Runtime, limit: int) -> list[RecentEvent]:
    """The newest `limit` order events in `ops`, oldest first (none while the broker is
    away: the live stream will bring the next ones)."""
    broker = runtime.broker
    try:
        top = (await broker.history(OPS.name, None, 0)).top
        if top is None:
            return []
        newest = parse_id(top)
        window = runtime.settings.history_size
        while window > 0:  # the whole retained history, else as much of it as is still there
            since = format_id(max(0, newest.offset - window), newest.epoch)
            page = await broker.history(OPS.name, since, window)
            if page.covered:
                events = [e for e in page.events if e.event in FEED_EVENTS]
                return [_recent(e) for e in events[-limit:]]
            window //= 2
    except BrokerUnavailable:
        pass
    return []


class AdminConsoleController(Controller):
    path = "/api/admin"
    tags = ["admin"]
    guards = [admin_only]

    @get("/events/recent", summary="The newest order events on ops, oldest first (feed backfill)")
    async def recent_events(
        self,
        runtime: Injected[Runtime],
        limit: int = Parameter(default=50, ge=1, le=MAX_RECENT),
    ) -> list[RecentEvent]:
        return await recent_order_events(runtime, limit)

    @get("/users/{user_id:int}", summary="Who a user is: name, email, role (admins)")
    async def user(self, db_session: AsyncSession, user_id: int = id_path("user id")) -> Person:
        user = await db_session.get(User, user_id)
        if user is None:
            raise not_found("user")
        return Person(user.id, user.full_name, user.email, str(user.role))
