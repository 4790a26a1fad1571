"""WebSocket ops of the live flows: `location` (washers), `chat` and `typing` (participants).

Registered into the socket's op table at import, so `/ws` itself stays about transport.
"""

from __future__ import annotations

import time
from datetime import datetime

from app.live.flows import get_flows
from app.live.ws import EXTRA_OP_HANDLERS, LiveSocket
from app.services import chat
from domain.channels import chat_channel
from domain.errors import Refusal, RefusalKind
from domain.events import CHAT_TYPING
from domain.location import FixRejected, LocationFix
from domain.roles import Role
from realtime import protocol


async def handle_location(session: LiveSocket, op: protocol.Location) -> None:
    if session.principal.role is not Role.WASHER:
        raise protocol.ProtocolError("forbidden", "only washers send locations", op.ref)
    try:
        ts = datetime.fromisoformat(op.ts.replace("Z", "+00:00"))
        fix = LocationFix(op.lat, op.lng, ts, op.heading, op.speed, op.accuracy)
    except (TypeError, ValueError):
        raise protocol.ProtocolError("bad_field", "ts must be an ISO-8601 time", op.ref) from None
    flows = get_flows(session.socket.app)
    try:
        outcome = await flows.pipeline.ingest(session.principal.id, fix)
    except FixRejected as rejected:
        session.send(protocol.error(rejected.code, rejected.message, op.ref, **rejected.fields))
        return
    session.send(
        protocol.reply(
            op.ref,
            status=outcome.status,
            order_id=outcome.order_id,
            eta_seconds=outcome.eta_seconds,
        )
    )


async def handle_chat(session: LiveSocket, op: protocol.Chat) -> None:
    flows = get_flows(session.socket.app)
    async with session.runtime.session_factory() as db:
        try:
            message = await chat.post_message(
                db, session.principal, op.order_id, op.body, flows.chat_limiter
            )
        except Refusal as refused:
            code = "forbidden" if refused.kind is RefusalKind.NOT_FOUND else refused.code
            raise protocol.ProtocolError(code, refused.message, op.ref) from None
    session.send(protocol.reply(op.ref, order_id=op.order_id, seq=message.seq))


TYPING_ACCESS_SECONDS = 30.0
"""How long a checked chat participation is trusted for typing signals (which are harmless
and ephemeral, so a washer released from the order may signal for at most this long)."""


async def handle_typing(session: LiveSocket, op: protocol.Typing) -> None:
    now = time.monotonic()
    if session.chat_access_until.get(op.order_id, 0.0) <= now:
        async with session.runtime.session_factory() as db:
            try:
                await chat.chat_order(db, session.principal, op.order_id)
            except Refusal:
                raise protocol.ProtocolError("forbidden", "not a participant", op.ref) from None
        session.chat_access_until[op.order_id] = now + TYPING_ACCESS_SECONDS
    await session.runtime.hub.publish_ephemeral(
        chat_channel(op.order_id).name,
        CHAT_TYPING,
        {"order_id": op.order_id, "user_id": session.principal.id, "role": session.principal.role},
    )
    session.send(protocol.reply(op.ref))


EXTRA_OP_HANDLERS[protocol.Location] = handle_location
EXTRA_OP_HANDLERS[protocol.Chat] = handle_chat
EXTRA_OP_HANDLERS[protocol.Typing] = handle_typing
