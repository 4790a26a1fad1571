"""Server-Sent Events: the same live streams for clients that only need to listen.

Ordinary Litestar handlers (guards and dependency injection apply) return sse-starlette's
`EventSourceResponse`. A stream that carries several channels writes an `id:` encoding every
channel's position (`order:7@12,order:7:chat@3`), so one `Last-Event-ID` resumes all of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, cast

from litestar import Request, get
from litestar.types import ASGIApp
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.dependencies import Injected
from app.http.answers import STREAM
from app.http.auth import admin_only, requires_login
from app.http.controllers.params import id_path
from app.http.errors import ApiError, not_found
from app.http.openapi import EVENT_STREAM, RESUMES
from app.lifecycle import Runtime
from app.principal import Principal
from domain.channels import (
    AUDIT,
    OPS,
    Channel,
    chat_channel,
    may_subscribe,
    order_channel,
    track_channel,
    user_channel,
)
from realtime.envelope import Envelope, parse_id
from realtime.frames import ClosingFrame, RawFrame
from realtime.session import LiveSession
from realtime.session_context import SessionContext

RETRY_MILLISECONDS = 2000
END_EVENT = "end"
"""The last event of a stream the server ends on purpose; its data is an error frame
(`token_expired`, `forbidden`). Not `error`: EventSource reserves that name."""
POSITION_SEPARATOR = ","


def encode_positions(positions: Mapping[str, str], channels: Sequence[str]) -> str:
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


class SseTransport:
    """The one-way transport: a session's events as Server-Sent Events."""

    name = "sse"
    two_way = False

    async def events(
        self,
        session: LiveSession,
        channels: Sequence[Channel],
        since: dict[str, str],
        required: Sequence[Channel] = (),
    ) -> AsyncIterator[ServerSentEvent]:
        names = [channel.name for channel in channels]
        subscriber = session.subscriber
        await session.open()
        first = True
        try:
            if subscriber.closed:
                return  # began draining after the response started: end, reconnect elsewhere
            if not session.closing:  # a refused session only says why, then ends
                await session.follow(channels, since, required)
            async for item in subscriber:
                if isinstance(item, ClosingFrame):
                    # The last word: why the stream ends (token expired, access ended).
                    yield ServerSentEvent(data=item.sse_data, event=END_EVENT)
                    return
                if isinstance(item, RawFrame):
                    continue
                event = item.event if isinstance(item, Envelope) else item.type
                yield ServerSentEvent(
                    data=item.sse_data,
                    # A channel resumed from but not carried now (the track of an order
                    # not on the way) keeps the position the stream was given.
                    id=encode_positions({**since, **subscriber.positions}, names) or None,
                    event=event,
                    retry=RETRY_MILLISECONDS if first else None,
                )
                first = False
        finally:
            await session.close()


def _stream(
    request: Request[Principal, Any, Any],
    runtime: Runtime,
    context: SessionContext,
    channels: Sequence[Channel],
    required: Sequence[Channel] = (),
    *,
    latest: bool = False,
) -> ASGIApp:
    """An SSE response for ``channels``; ``latest``: a stream without a position starts with
    what the channels still hold (a lossy channel's newest event) instead of from now."""
    if runtime.draining:
        raise ApiError(503, "draining", "server restarting; reconnect and resume")
    # Browsers send Last-Event-ID only when EventSource reconnects by itself; a page that
    # opens a new EventSource (say, with a refreshed token) passes it as a query parameter.
    last_event_id = request.headers.get("last-event-id") or request.query_params.get(
        "last_event_id"
    )
    address = request.client.host if request.client else None
    refusal = context.sessions.refusal(request.user.id, address)
    if refusal is not None:
        raise ApiError(429, "too_many_connections", refusal)
    since = decode_positions(last_event_id, [channel.name for channel in channels])
    if latest:
        since = {channel.name: since.get(channel.name, "0") for channel in channels}
    transport = SseTransport()
    session = LiveSession(context, transport, request.user, address)
    response = EventSourceResponse(
        transport.events(session, channels, since, required),
        ping=runtime.settings.heartbeat_seconds,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
    return cast("ASGIApp", response)


stream_channels = _stream
"""For streams routed outside this module (`app.http.controllers.pricing`)."""


@get(
    "/api/orders/{order_id:int}/events",
    guards=[requires_login],
    tags=["live"],
    opt={EVENT_STREAM: True, RESUMES: True},
    refuses=STREAM,
    summary="SSE stream of an order: status, and the washer's track and chat when allowed",
)
async def order_events(
    request: Request[Principal, Any, Any],
    runtime: Injected[Runtime],
    session_context: Injected[SessionContext],
    order_id: int = id_path("order id"),
) -> ASGIApp:
    """The track joins the stream when the order is assigned and leaves it when the washer
    is no longer on the way; the stream ends if the caller may no longer see the order."""
    order = order_channel(order_id)
    facts = await session_context.facts.order_facts(order_id)
    if not may_subscribe(request.user.actor, order, facts):
        raise not_found("order")
    channels = [order, chat_channel(order_id), track_channel(order_id)]
    return _stream(request, runtime, session_context, channels, required=[order])


@get(
    "/api/me/events",
    guards=[requires_login],
    tags=["live"],
    opt={EVENT_STREAM: True, RESUMES: True},
    refuses=STREAM,
    summary="SSE stream of the caller's notifications (user:{id})",
)
async def my_events(
    request: Request[Principal, Any, Any],
    runtime: Injected[Runtime],
    session_context: Injected[SessionContext],
) -> ASGIApp:
    return _stream(request, runtime, session_context, [user_channel(request.user.id)])


@get(
    "/api/admin/stream",
    guards=[admin_only],
    tags=["live"],
    opt={EVENT_STREAM: True, RESUMES: True},
    refuses=STREAM,
    summary="SSE firehose for the admin dashboard (ops)",
)
async def admin_stream(
    request: Request[Principal, Any, Any],
    runtime: Injected[Runtime],
    session_context: Injected[SessionContext],
) -> ASGIApp:
    return _stream(request, runtime, session_context, [OPS])


@get(
    "/api/admin/audit/events",
    guards=[admin_only],
    tags=["live"],
    opt={EVENT_STREAM: True, RESUMES: True},
    refuses=STREAM,
    summary="SSE stream of the audit trail as it is written (audit)",
)
async def audit_events(
    request: Request[Principal, Any, Any],
    runtime: Injected[Runtime],
    session_context: Injected[SessionContext],
) -> ASGIApp:
    """Each entry arrives once the change it records is committed (`audit.entry`); the
    entries before come from `GET /api/admin/audit`."""
    return _stream(request, runtime, session_context, [AUDIT])
