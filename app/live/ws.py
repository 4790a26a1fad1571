"""The multiplexed WebSocket `/ws`: the two-way transport of a `realtime.session.LiveSession`.

One reader (this handler) hands client frames to the session; one writer task drains the
session's bounded queue, so the fan-out never waits on this socket. Authentication happened
in the middleware; a socket that arrived without a valid token is accepted only to be closed
with 4001 and a reason a browser can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, cast

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.types import WebSocketSendEvent

from app.auth import AUTH_ERROR_SCOPE_KEY, SUBPROTOCOL_PREFIX, Principal
from app.dependencies import Injected
from app.lifecycle import Runtime
from app.live.direct_send import direct_send
from realtime import protocol
from realtime.close_codes import POLICY_VIOLATION, UNAUTHORIZED
from realtime.frames import ClosingFrame
from realtime.session import LiveSession
from realtime.session_context import SessionContext

SUBPROTOCOL = "washline.v1"
CLOSE_FLUSH_SECONDS = 5.0
"""How long a closing connection may take to flush its last frames to the client."""
_GONE = (WebSocketDisconnect, RuntimeError, OSError)
"""What sending or receiving raises once the client is gone."""
log = logging.getLogger(__name__)


class WebSocketTransport:
    """Moves a session's frames over one accepted WebSocket."""

    name = "ws"
    two_way = True

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self.socket = socket

    async def run(self, session: LiveSession) -> None:
        await session.open()
        tag = session.subscriber.id
        writer = asyncio.create_task(self._write(session), name=f"ws-writer-{tag}")
        reader = asyncio.create_task(self._read(session), name=f"ws-reader-{tag}")
        try:
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            if session.closing and not writer.done():
                await asyncio.wait({writer}, timeout=CLOSE_FLUSH_SECONDS)
        finally:
            await session.close()
            # The writer now sends the close frame; a socket that stopped reading may never
            # take it, so the wait is bounded (the transport's ping timeout ends the rest).
            await asyncio.wait({writer}, timeout=CLOSE_FLUSH_SECONDS)
            for task in (reader, writer):
                task.cancel()
            results = await asyncio.gather(reader, writer, return_exceptions=True)
            for result in results:
                if isinstance(result, Exception) and not isinstance(result, _GONE):
                    name = session.subscriber.name
                    log.warning("websocket task of %s failed: %r", name, result)

    async def _write(self, session: LiveSession) -> None:
        send = direct_send(self.socket)
        subscriber = session.subscriber
        try:
            async for item in subscriber:
                frame: WebSocketSendEvent = {
                    "type": "websocket.send",
                    "bytes": None,
                    "text": item.ws_text,
                }
                await send(frame)
                if isinstance(item, ClosingFrame):
                    subscriber.close(item.code, item.reason)
                    break
        except _GONE:
            return
        if subscriber.close_code is not None:
            with contextlib.suppress(Exception):
                await self.socket.close(subscriber.close_code, subscriber.close_reason)

    async def _read(self, session: LiveSession) -> None:
        while not session.finished:
            message = await self.socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            payload = cast("str | bytes", message.get("text") or message.get("bytes") or b"")
            await session.handle(payload)


def origin_allowed(origin: str | None, allowed: tuple[str, ...]) -> bool:
    """Whether a handshake's `Origin` may open a socket. Only browsers send one, and a token
    in a page of another site must not be usable from there; with no list, any origin may."""
    return not allowed or origin is None or origin.rstrip("/") in allowed


def _chosen_subprotocol(socket: WebSocket[Any, Any, Any]) -> str | None:
    offered = [p.strip() for p in socket.headers.get("sec-websocket-protocol", "").split(",")]
    if SUBPROTOCOL in offered:
        return SUBPROTOCOL
    return None


@websocket("/ws", opt={"exclude_from_auth": False})
async def live_socket(
    socket: WebSocket[Any, Any, Any],
    runtime: Injected[Runtime],
    session_context: Injected[SessionContext],
) -> None:
    """Multiplexed live connection; docs/protocol.md lists the ops."""
    if not origin_allowed(socket.headers.get("origin"), runtime.settings.ws_allowed_origins):
        # Before accepting: the browser sees the handshake refused (403), the page learns nothing.
        await socket.close(POLICY_VIOLATION, "origin not allowed")
        return
    await socket.accept(subprotocols=_chosen_subprotocol(socket))
    principal = socket.scope.get("user")
    if runtime.draining:
        await socket.close(1012, "server restarting")
        return
    if not isinstance(principal, Principal):
        reason = str(socket.scope.get(AUTH_ERROR_SCOPE_KEY, "authentication required"))
        await socket.send_data(protocol.error("unauthorized", reason), mode="text")
        await socket.close(UNAUTHORIZED, reason)
        return
    transport = WebSocketTransport(socket)
    address = socket.client.host if socket.client else None
    await transport.run(LiveSession(session_context, transport, principal, address))


__all__ = ["SUBPROTOCOL", "SUBPROTOCOL_PREFIX", "WebSocketTransport", "live_socket"]
