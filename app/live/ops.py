"""WebSocket ops of the live flows: `location` (washers), `chat` and `typing` (participants).

`LiveOps.handlers()` is the op table every `realtime.session.LiveSession` of the process
dispatches to; subscribe, unsubscribe, ping and auth belong to the session itself.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.principal import Principal
from app.services import chat
from domain.channels import chat_channel
from domain.errors import Refusal, RefusalKind
from domain.event_data import ChatTypingData, as_data
from domain.events import CHAT_TYPING
from domain.location import FixRejected, LocationFix
from domain.roles import Role
from persistence.database import DATABASE_DOWN
from realtime import protocol
from realtime.hub import Hub
from realtime.location_pipeline import LocationPipeline
from realtime.session import LiveSession
from realtime.session_context import OpHandler

TYPING_ACCESS_SECONDS = 30.0
"""How long a checked chat participation is trusted for typing signals (which are harmless
and ephemeral, so a washer released from the order may signal for at most this long)."""


def _principal(session: LiveSession) -> Principal:
    """The session's principal is the one the app authenticated (the services take it)."""
    return cast(Principal, session.principal)


class LiveOps:
    """The live flows' ops, bound to the process's database, hub and location pipeline."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        hub: Hub,
        pipeline: LocationPipeline,
        chat_limiter: chat.ChatRateLimiter,
    ) -> None:
        self._session_factory = session_factory
        self._hub = hub
        self._pipeline = pipeline
        self._chat_limiter = chat_limiter

    def handlers(self) -> dict[type, OpHandler]:
        return {
            protocol.Location: self.location,
            protocol.Chat: self.chat,
            protocol.Typing: self.typing,
        }

    async def location(self, session: LiveSession, op: protocol.Location) -> None:
        if session.principal.role is not Role.WASHER:
            raise protocol.ProtocolError("forbidden", "only washers send locations", op.ref)
        try:
            ts = datetime.fromisoformat(op.ts.replace("Z", "+00:00"))
            fix = LocationFix(op.lat, op.lng, ts, op.heading, op.speed, op.accuracy)
        except (TypeError, ValueError):
            raise protocol.ProtocolError(
                "bad_field", "ts must be an ISO-8601 time", op.ref
            ) from None
        try:
            outcome = await self._pipeline.ingest(session.principal.id, fix)
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

    async def chat(self, session: LiveSession, op: protocol.Chat) -> None:
        async with self._session_factory() as db:
            try:
                message = await chat.post_message(
                    db, _principal(session), op.order_id, op.body, self._chat_limiter
                )
            except Refusal as refused:
                # Absent and not yours read alike on the socket, as on subscribe.
                code = "forbidden" if refused.kind is RefusalKind.NOT_FOUND else refused.code
                raise protocol.ProtocolError(code, refused.message, op.ref) from None
        session.send(protocol.reply(op.ref, order_id=op.order_id, seq=message.seq))

    async def typing(self, session: LiveSession, op: protocol.Typing) -> None:
        now = time.monotonic()
        allowed_until = session.typing_allowed_until(op.order_id)
        if allowed_until is None or allowed_until <= now:
            try:
                await self._check_participant(session, op)
            except DATABASE_DOWN:
                # Typing needs no database: a participation checked before the outage keeps
                # holding until the database can check it again; an unchecked one cannot.
                if allowed_until is None:
                    raise
            else:
                session.allow_typing(op.order_id, now + TYPING_ACCESS_SECONDS)
        principal = session.principal
        await self._hub.publish_ephemeral(
            chat_channel(op.order_id).name,
            CHAT_TYPING,
            as_data(ChatTypingData(op.order_id, principal.id, principal.role)),
        )
        session.send(protocol.reply(op.ref))

    async def _check_participant(self, session: LiveSession, op: protocol.Typing) -> None:
        async with self._session_factory() as db:
            try:
                await chat.chat_order(db, _principal(session), op.order_id)
            except Refusal:
                raise protocol.ProtocolError("forbidden", "not a participant", op.ref) from None
