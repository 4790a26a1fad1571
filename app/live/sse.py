"""Server-Sent Events: the same live streams for clients that only need to listen.

Ordinary Litestar handlers (guards and dependency injection apply) return sse-starlette's
`EventSourceResponse`. A stream that carries several channels writes an `id:` encoding every
channel's position (`order:7@12,order:7:chat@3`), so one `Last-Event-ID` resumes all of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

from litestar import Request, get
from litestar.types import ASGIApp
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.auth import Principal, admin_only, requires_login
from app.controllers.params import id_path
from app.errors import ApiError, not_found
from app.lifecycle import Runtime
from app.live.access import ChannelRefused, authorize_channel
from app.live.frames import RawFrame
from app.live.presence import ConnectionPresence
from domain.channels import OPS, chat_channel, order_channel, track_channel, user_channel
from realtime.envelope import Envelope, parse_id
from realtime.subscriber import Subscriber

RETRY_MILLISECONDS = 2000
POSITION_SEPARATOR = ","


def encode_positions(positions: dict[str, str], channels: Sequence[str]) -> str:
    """One channel: its plain id. Several: `channel@id` pairs for the channels with an id."""
    if len(channels) == 1:
        return positions.get(channels[0], "")
    return POSITION_SEPARATOR.join(f"{c}@{positions[c]}" for c in channels if c in positions)


def decode_positions(last_event_id: str | None, channels: Sequence[str]) -> dict[str, str]:
    """Positions from a Last-Event-ID; anything malformed or foreign is ignored (from now)."""
    if not last_event_id:
        return {}
    if len(channels) == 1:
        pairs = [(channels[0], last_event_id)]
    else:
        pairs = [
            (part.rpartition("@")[0], part.rpartition("@")[2])
            for part in last_event_id.split(POSITION_SEPARATOR)
        ]
    positions: dict[str, str] = {}
    for channel, position in pairs:
        if channel in channels:
            try:
                parse_id(position)
            except ValueError:
                continue
            positions[channel] = position
    return positions


async def _events(
    runtime: Runtime, principal: Principal, channels: Sequence[str], since: dict[str, str]
) -> AsyncIterator[ServerSentEvent]:
    subscriber = Subscriber(max_queue=runtime.settings.outbound_queue_size, transport="sse")
    presence = ConnectionPresence(runtime.presence, principal, "sse")
    runtime.hub.connect(subscriber)
    runtime.live_subscribers.add(subscriber)
    first = True
    try:
        if runtime.draining:
            return  # began draining after the response started: end now, reconnect elsewhere
        for channel in channels:
            await runtime.hub.subscribe(subscriber, channel, since.get(channel))
            await presence.join(channel)
        async for item in subscriber:
            if isinstance(item, RawFrame):
                continue
            event = item.event if isinstance(item, Envelope) else item.type
            yield ServerSentEvent(
                data=item.sse_data,
                id=encode_positions(subscriber.positions, channels) or None,
                event=event,
                retry=RETRY_MILLISECONDS if first else None,
            )
            first = False
    finally:
        runtime.live_subscribers.discard(subscriber)
        await runtime.hub.disconnect(subscriber)
        await presence.leave_all()


def _stream(request: Request[Principal, Any, Any], channels: Sequence[str]) -> ASGIApp:
    runtime: Runtime = request.app.state.runtime
    if runtime.draining:
        raise ApiError(503, "draining", "server restarting; reconnect and resume")
    # Browsers send Last-Event-ID only when EventSource reconnects by itself; a page that
    # opens a new EventSource (say, with a refreshed token) passes it as a query parameter.
    last_event_id = request.headers.get("last-event-id") or request.query_params.get(
        "last_event_id"
    )
    since = decode_positions(last_event_id, channels)
    response = EventSourceResponse(
        _events(runtime, request.user, channels, since),
        ping=runtime.settings.heartbeat_seconds,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
    return cast("ASGIApp", response)


@get(
    "/api/orders/{order_id:int}/events",
    guards=[requires_login],
    tags=["live"],
    summary="SSE stream of an order: status, and the washer's track and chat when allowed",
)
async def order_events(
    request: Request[Principal, Any, Any], order_id: int = id_path("order id")
) -> ASGIApp:
    runtime: Runtime = request.app.state.runtime
    channels: list[str] = []
    for channel in (order_channel(order_id), chat_channel(order_id), track_channel(order_id)):
        try:
            await authorize_channel(runtime.session_factory, request.user, channel.name)
        except ChannelRefused:
            if not channels:
                raise not_found("order") from None
            continue
        channels.append(channel.name)
    return _stream(request, channels)


@get(
    "/api/me/events",
    guards=[requires_login],
    tags=["live"],
    summary="SSE stream of the caller's notifications (user:{id})",
)
async def my_events(request: Request[Principal, Any, Any]) -> ASGIApp:
    return _stream(request, [user_channel(request.user.id).name])


@get(
    "/api/admin/stream",
    guards=[admin_only],
    tags=["live"],
    summary="SSE firehose for the admin dashboard (ops)",
)
async def admin_stream(request: Request[Principal, Any, Any]) -> ASGIApp:
    return _stream(request, [OPS.name])
