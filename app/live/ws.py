"""The multiplexed WebSocket `/ws`: ops in, events, replies and errors out.

One reader (this handler) parses ops; one writer task drains the connection's bounded queue,
so the fan-out never waits on this socket. Authentication happened in the middleware; a
socket that arrived without a valid token is accepted only to be closed with 4001 and a
reason a browser can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

from litestar import WebSocket, websocket
from litestar.exceptions import NotAuthorizedException, WebSocketDisconnect
from litestar.types import WebSocketSendEvent

from app.auth import AUTH_ERROR_SCOPE_KEY, SUBPROTOCOL_PREFIX, Principal, principal_from_token
from app.lifecycle import Runtime
from app.live.access import ChannelRefused, authorize_channel
from app.live.direct_send import direct_send
from app.live.frames import RawFrame
from app.live.presence import WASHERS_ONLINE, ConnectionPresence
from app.security import decode_access_token
from domain.roles import Role
from realtime import protocol
from realtime.close_codes import MESSAGE_TOO_BIG, TOO_MANY_OPS, UNAUTHORIZED
from realtime.envelope import parse_id
from realtime.subscriber import Subscriber

SUBPROTOCOL = "washline.v1"
OP_BURST_FACTOR = 2
"""A client may burst to this many seconds' worth of ops before being refused."""
ABUSE_FACTOR = 5
"""Refused ops beyond this many seconds' worth close the connection with 4029."""

CLOSE_FLUSH_SECONDS = 5.0
"""How long a closing connection may take to flush its last frames to the client."""
_GONE = (WebSocketDisconnect, RuntimeError, OSError)
"""What sending or receiving raises once the client is gone."""
log = logging.getLogger(__name__)

OpHandler = Callable[["LiveSocket", Any], Awaitable[None]]
EXTRA_OP_HANDLERS: dict[type, OpHandler] = {}
"""Handlers for ops that belong to other features (location, chat, typing), by op type."""


class ClosingFrame(RawFrame):
    """A last frame: once it is sent, the writer closes the socket with `code`."""

    def __init__(self, frame: bytes, code: int, reason: str) -> None:
        super().__init__(frame)
        self.code = code
        self.reason = reason


class OpBudget:
    """Token bucket of ops per second: generous bursts, clear refusal, then disconnect."""

    def __init__(self, per_second: int) -> None:
        self.rate = float(per_second)
        self.capacity = float(per_second * OP_BURST_FACTOR)
        self.tokens = self.capacity
        self.refused = 0.0
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        elapsed, self.stamp = now - self.stamp, now
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.refused = max(0.0, self.refused - elapsed * self.rate)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.refused += 1
        return False

    @property
    def abusive(self) -> bool:
        return self.refused > self.rate * ABUSE_FACTOR


class LiveSocket:
    """One authenticated WebSocket session."""

    def __init__(self, socket: WebSocket[Any, Any, Any], runtime: Runtime, principal: Principal):
        self.socket = socket
        self.runtime = runtime
        self.settings = runtime.settings
        self.principal = principal
        self.subscriber = Subscriber(
            max_queue=self.settings.outbound_queue_size, transport="ws", name=f"user-{principal.id}"
        )
        self.budget = OpBudget(self.settings.ws_ops_per_second)
        self.presence = ConnectionPresence(runtime.presence, principal, "ws")
        self._expiry: asyncio.TimerHandle | None = None
        self._closing = False
        self.chat_access_until: dict[int, float] = {}
        """Orders whose chat this socket may signal on, until a monotonic time: a typing
        burst costs one participation query, not one per keystroke."""

    def send(self, frame: bytes) -> None:
        """Queue a reply or error frame behind whatever is already queued."""
        self.subscriber.offer(RawFrame(frame))

    def refuse(self, code: str, message: str, ref: protocol.Ref = None) -> None:
        self.send(protocol.error(code, message, ref))

    def close_after(self, code: int, reason: str, frame: bytes) -> None:
        """Send `frame` (after everything already queued), then close with `code`.

        Closing the subscriber at once would discard the queue, and with it the error frame
        that tells the client why; the writer closes when it reaches this frame instead.
        """
        self._closing = True
        self.subscriber.offer(ClosingFrame(frame, code, reason))

    async def run(self) -> None:
        hub = self.runtime.hub
        hub.connect(self.subscriber)
        self.runtime.live_subscribers.add(self.subscriber)
        writer = asyncio.create_task(self._write(), name=f"ws-writer-{self.subscriber.id}")
        reader = asyncio.create_task(self._read(), name=f"ws-reader-{self.subscriber.id}")
        self._arm_expiry()
        try:
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            if self._closing and not writer.done():
                await asyncio.wait({writer}, timeout=CLOSE_FLUSH_SECONDS)
        finally:
            if self._expiry is not None:
                self._expiry.cancel()
            self.runtime.live_subscribers.discard(self.subscriber)
            await hub.disconnect(self.subscriber)
            await self.presence.leave_all()
            # The writer now sends the close frame; a socket that stopped reading may never
            # take it, so the wait is bounded (the transport's ping timeout ends the rest).
            await asyncio.wait({writer}, timeout=CLOSE_FLUSH_SECONDS)
            for task in (reader, writer):
                task.cancel()
            results = await asyncio.gather(reader, writer, return_exceptions=True)
            for result in results:
                if isinstance(result, Exception) and not isinstance(result, _GONE):
                    log.warning("websocket task of %s failed: %r", self.subscriber.name, result)

    async def _write(self) -> None:
        send = direct_send(self.socket)
        try:
            async for item in self.subscriber:
                frame: WebSocketSendEvent = {
                    "type": "websocket.send",
                    "bytes": None,
                    "text": item.ws_text,
                }
                await send(frame)
                if isinstance(item, ClosingFrame):
                    self.subscriber.close(item.code, item.reason)
                    break
        except _GONE:
            return
        if self.subscriber.close_code is not None:
            with contextlib.suppress(Exception):
                await self.socket.close(self.subscriber.close_code, self.subscriber.close_reason)

    async def _read(self) -> None:
        if self.principal.role is Role.WASHER:
            # Before the first op: a reply to any op proves the washer is listed online.
            await self.presence.join(WASHERS_ONLINE)
        while not self.subscriber.closed and not self._closing:
            message = await self.socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            payload = cast("str | bytes", message.get("text") or message.get("bytes") or b"")
            if len(payload) > self.settings.ws_max_frame_bytes:
                self.subscriber.close(MESSAGE_TOO_BIG, "frame too big")
                return
            if not self.budget.take():
                if self.budget.abusive:
                    self.close_after(
                        TOO_MANY_OPS,
                        "too many ops",
                        protocol.error("rate_limited", "too many ops; connection closed"),
                    )
                    return
                self.refuse("rate_limited", "too many ops; slow down")
                continue
            await self._handle(payload)

    async def _handle(self, payload: str | bytes) -> None:
        try:
            op = protocol.decode_op(payload)
        except protocol.ProtocolError as exc:
            self.refuse(exc.code, exc.message, exc.ref)
            return
        try:
            if isinstance(op, protocol.Subscribe):
                await self._subscribe(op)
            elif isinstance(op, protocol.Unsubscribe):
                await self.runtime.hub.unsubscribe(self.subscriber, op.channel)
                await self.presence.leave(op.channel)
                self.send(protocol.reply(op.ref, channel=op.channel))
            elif isinstance(op, protocol.Ping):
                self.send(protocol.reply(op.ref, pong=True))
            elif isinstance(op, protocol.Auth):
                self._reauthenticate(op)
            elif type(op) in EXTRA_OP_HANDLERS:
                await EXTRA_OP_HANDLERS[type(op)](self, op)
            else:
                self.refuse(
                    "unsupported_op", f"op {type(op).__name__.lower()} is not available", op.ref
                )
        except protocol.ProtocolError as exc:
            self.refuse(exc.code, exc.message, exc.ref if exc.ref is not None else op.ref)
        except Exception:
            # One op's failure (a bug, a database hiccup) must not cost the client its
            # connection and subscriptions: log it and answer that op alone.
            log.exception("ws op %s failed", type(op).__name__.lower())
            self.refuse("internal_error", "the server could not handle this op; retry", op.ref)

    async def _subscribe(self, op: protocol.Subscribe) -> None:
        if op.since is not None:
            try:
                parse_id(op.since)
            except ValueError:
                raise protocol.ProtocolError(
                    "bad_since", "since is not an event id", op.ref
                ) from None
        current = self.runtime.hub.subscriptions(self.subscriber)
        if op.channel not in current and len(current) >= self.settings.ws_max_subscriptions:
            raise protocol.ProtocolError(
                "too_many_subscriptions",
                f"at most {self.settings.ws_max_subscriptions} subscriptions per connection",
                op.ref,
            )
        try:
            await authorize_channel(self.runtime.session_factory, self.principal, op.channel)
        except ChannelRefused as refused:
            raise protocol.ProtocolError(refused.code, refused.message, op.ref) from None
        # Reply once the subscription is live and listed in presence: a client that
        # subscribes "from now" and then acts (books, assigns) must see the events of its
        # own action. Events caught up from `since` therefore arrive before the reply.
        await self.runtime.hub.subscribe(self.subscriber, op.channel, op.since)
        await self.presence.join(op.channel)
        self.send(protocol.reply(op.ref, channel=op.channel))

    def _reauthenticate(self, op: protocol.Auth) -> None:
        try:
            principal = principal_from_token(decode_access_token(op.token, self.settings))
        except NotAuthorizedException:
            principal = None
        if principal is None or principal.id != self.principal.id:
            raise protocol.ProtocolError(
                "unauthorized", "token is invalid or for another user", op.ref
            )
        self.principal = principal
        self._arm_expiry()
        self.send(protocol.reply(op.ref, expires_at=principal.expires_at))

    def _arm_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        # A timer, not a sleeping task: one per connection, idle for the token's lifetime.
        delay = max(0.0, self.principal.expires_at - time.time())
        self._expiry = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self.close_after(
            UNAUTHORIZED,
            "token expired",
            protocol.error("token_expired", "access token expired; send auth or reconnect"),
        )


def _chosen_subprotocol(socket: WebSocket[Any, Any, Any]) -> str | None:
    offered = [p.strip() for p in socket.headers.get("sec-websocket-protocol", "").split(",")]
    if SUBPROTOCOL in offered:
        return SUBPROTOCOL
    return None


@websocket("/ws", opt={"exclude_from_auth": False})
async def live_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """Multiplexed live connection; see ARCHITECTURE.md for the ops."""
    runtime: Runtime = socket.app.state.runtime
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
    await LiveSocket(socket, runtime, principal).run()


__all__ = ["EXTRA_OP_HANDLERS", "SUBPROTOCOL", "SUBPROTOCOL_PREFIX", "LiveSocket", "live_socket"]
