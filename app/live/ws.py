"""The multiplexed WebSocket `/ws`: the two-way transport of a `realtime.session.LiveSession`.

The handler's task hands client frames to the session. The fan-out writes event frames
inline while the socket takes them, and queues them for a short-lived writer task only while
the socket is backpressured, so the fan-out never waits on this socket. Authentication happened
in the middleware; a socket that arrived without a valid token is accepted only to be closed
with 4001 and a reason a browser can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial
from typing import Any, cast

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.types import Empty, Receive, WebSocketSendEvent
from litestar.utils.scope.state import ScopeState

from app.dependencies import Injected
from app.http.auth import AUTH_ERROR_SCOPE_KEY, SUBPROTOCOL_PREFIX
from app.lifecycle import Runtime
from app.live.direct_send import direct_send, hand_off, inline_writer
from app.principal import Principal, shared
from realtime import protocol
from realtime.close_codes import POLICY_VIOLATION, UNAUTHORIZED
from realtime.envelope import Envelope
from realtime.frames import ClosingFrame
from realtime.session import LiveSession
from realtime.session_context import SessionContext
from realtime.session_ops import handle_frame
from realtime.subscriber import Item, Subscriber

SUBPROTOCOL = "washline.v1"
CLOSE_FLUSH_SECONDS = 5.0
"""How long a closing connection may take to flush its last frames to the client."""
_GONE = (WebSocketDisconnect, RuntimeError, OSError)
"""What sending or receiving raises once the client is gone."""
log = logging.getLogger(__name__)


class WebSocketTransport:
    """Moves a session's frames over one accepted WebSocket.

    It is the session subscriber's `realtime.subscriber.Sink`: the fan-out writes a frame
    inline while the socket takes it (`write_now`), and only a socket under backpressure
    gets a writer task, which drains its queue and ends when the queue is empty. The
    handler's own task reads client frames; a connection at rest has no other task."""

    name = "ws"
    two_way = True
    __slots__ = ("_receive", "_send", "_shut", "_socket", "_subscriber", "_wire", "_writer")

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self._wire = wire = inline_writer(socket)
        self._send = direct_send(socket)
        # Served by our protocol, the connection needs nothing of Litestar's socket (whose
        # `send` is the middlewares' wrapper chain): it reads and closes on the protocol.
        self._socket = None if wire is not None else socket
        self._receive = cast("Receive", wire.receive) if wire is not None else socket.receive
        self._subscriber: Subscriber | None = None
        self._writer: asyncio.Task[None] | None = None
        self._shut = False
        """The close frame was sent (or the client is gone): nothing more to write."""

    async def run(self, session: LiveSession) -> None:
        await session.open()
        self._subscriber = session.subscriber
        session.subscriber.attach(self)
        try:
            await self._read(session)
            if session.closing and self._writer is not None:
                await asyncio.wait({self._writer}, timeout=CLOSE_FLUSH_SECONDS)
        except _GONE:
            pass
        except Exception as exc:
            log.warning("websocket reader of %s failed: %r", session.subscriber.name, exc)
        finally:
            await session.close()
            # Closing the subscriber woke a writer to send the close frame; a socket that
            # stopped reading may never take it, so the wait is bounded (the transport's
            # ping timeout ends the rest).
            writer = self._writer
            if writer is not None:
                await asyncio.wait({writer}, timeout=CLOSE_FLUSH_SECONDS)
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer

    # -- realtime.subscriber.Sink ------------------------------------------------------------

    def write_now(self, item: Item) -> bool:
        """Write ``item`` inline if nothing is being written and the socket takes it now."""
        wire = self._wire
        if self._writer is not None or wire is None:
            return False
        if type(item) is Envelope:  # the same frame bytes for every socket of the event
            return wire.write_framed_now(item.ws_frame, item.ws_wire)
        if isinstance(item, ClosingFrame):
            return False
        return wire.write_now(item.ws_frame)

    def wake(self) -> None:
        """Start the writer, unless one runs or the connection is already shut."""
        if self._writer is None and not self._shut:
            self._writer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        """Send what is queued, waiting for the peer as flow control says; once the queue
        is empty the task ends. A closed subscriber's close code goes last."""
        subscriber = self._subscriber
        assert subscriber is not None
        send = self._send
        try:
            while (item := subscriber.get_nowait()) is not None:
                frame: WebSocketSendEvent = {
                    "type": "websocket.send",
                    "bytes": None,
                    "text": item.ws_text,
                }
                await send(frame)
                if isinstance(item, ClosingFrame):
                    subscriber.close(item.code, item.reason)
                    break
            if subscriber.close_code is not None:
                self._shut = True
                with contextlib.suppress(Exception):
                    await self._close(subscriber.close_code, subscriber.close_reason)
        except _GONE:
            self._shut = True
        except Exception as exc:
            self._shut = True
            log.warning("websocket writer of %s failed: %r", subscriber.name, exc)
        finally:
            self._writer = None

    async def _close(self, code: int, reason: str) -> None:
        if self._socket is not None:
            await self._socket.close(code, reason)
        else:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def _read(self, session: LiveSession) -> None:
        receive = self._receive
        while not session.finished:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            payload = cast("str | bytes", message.get("text") or message.get("bytes") or b"")
            await handle_frame(session, payload)


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
    principal = socket.scope["user"] = shared(principal)  # this copy goes with the scope
    transport = WebSocketTransport(socket)
    address = socket.client.host if socket.client else None
    _release_handshake_state(socket)
    session = LiveSession(session_context, transport, principal, address)
    # The connection lives on outside the middlewares (`app.live.direct_send.hand_off`).
    if not hand_off(socket, partial(transport.run, session)):
        await transport.run(session)


def _release_handshake_state(socket: WebSocket[Any, Any, Any]) -> None:
    """Drop what the scope holds only for the handshake: the decoded token (the session
    keeps the principal), Litestar's parsed headers and its exception handlers. The scope
    lives as long as the socket; these are ~2 KB of every idle connection."""
    socket.scope["auth"] = None
    with contextlib.suppress(Exception):  # Litestar's connection state is internal
        state = ScopeState.from_scope(socket.scope)
        state.headers = Empty
        # A fresh dict per connection, for exceptions of the handshake's middlewares; the
        # connection's life runs after them (`hand_off`) and catches its own.
        state.exception_handlers = Empty


__all__ = ["SUBPROTOCOL", "SUBPROTOCOL_PREFIX", "WebSocketTransport", "live_socket"]
