"""The live connection: subscriptions that survive reconnects, exactly once, in order.

The SDK keeps the last event id of every channel. After any disconnect it reconnects with a
jittered backoff and subscribes again with `since` = that id, so the server replays what was
missed; whatever arrives twice (replayed and live, or across a restart) is dropped by id.
When the server can no longer serve a `since` it says `reset`: the app gets a `Reset` item
(and `on_reset`), reloads that channel over REST and carries on.

The WebSocket (`ws_runner`) carries the token as a subprotocol and re-authenticates with
`auth` whenever the tokens rotate; the SSE fallback (`sse_follower`; `transport="sse"`, or
`"auto"` when the WebSocket handshake is refused) reopens its streams from the same
positions with a fresh token. This module is what the app holds: it routes the frames of
either into one queue of items, in order and without duplicates.

When the server ends the session itself (`access_revoked`: the error frame before close
4001, or the SSE `end` event; or a 4001 whose refresh is refused too) nothing reconnects:
the app is told once, through `on_ended` and a `SessionEnded` raised by `next()`, and the
user must log in again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

import httpx
import msgspec

from washline_client.backoff import Backoff
from washline_client.errors import (
    ACCESS_REVOKED,
    ApiError,
    LiveError,
    NotConnected,
    SessionEnded,
    WashlineError,
)
from washline_client.events import (
    Event,
    LiveItem,
    LocationFix,
    LocationReply,
    Reset,
    Unsubscribed,
)
from washline_client.positions import Positions
from washline_client.sse_follower import SseFollower
from washline_client.tasks import Tasks, call_app
from washline_client.tokens import TokenKeeper
from washline_client.ws import Frame
from washline_client.ws_runner import WsRunner

Transport = Literal["ws", "sse", "auto"]
ResetHandler = Callable[[Reset], Awaitable[None] | None]
EndedHandler = Callable[[SessionEnded], Awaitable[None] | None]
log = logging.getLogger(__name__)


class LiveConnection:
    """Follow channels live. `async with client.live() as live:` then `subscribe`, and read
    items with `await live.next()` or `async for item in live`.

    `on_reset(reset)`: a channel's history is gone (reload it over REST).
    `on_ended(ended)`: the server ended the session (`ended.code` `access_revoked`,
    `ended.reason` why); the connection is closed for good and `ended` is kept in `ended`."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenKeeper,
        *,
        transport: Transport = "auto",
        on_reset: ResetHandler | None = None,
        on_ended: EndedHandler | None = None,
        request_timeout: float = 10.0,
        backoff: Backoff | None = None,
        sse_read_timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.transport: Transport = transport
        self.on_reset = on_reset
        self.on_ended = on_ended
        self.ended: SessionEnded | None = None
        """Why the server ended the session, once it has (the connection is then closed)."""
        self.request_timeout = request_timeout
        self.backoff = backoff or Backoff()
        self.positions = Positions()
        self.channels: set[str] = set()
        self.connects = 0
        """Successful (re)connections so far (sockets, or SSE streams opened): the first is 1."""
        self._items: asyncio.Queue[LiveItem | WashlineError] = asyncio.Queue()
        self._tasks = Tasks()
        self._sse = SseFollower(
            httpx.AsyncClient(base_url=self.base_url, timeout=request_timeout),
            tokens,
            self.positions,
            self.channels,
            self._on_frame,
            self._stream_opened,
            self.backoff,
            sse_read_timeout,
            self._end,
        )
        self._ws = WsRunner(
            self.base_url,
            tokens,
            self.positions,
            self.channels,
            self.backoff,
            request_timeout,
            on_frame=self._on_frame,
            on_open=self._stream_opened,
            on_lost=self._lose,
            on_error=self._items.put_nowait,
            on_ended=self._end,
            fall_back=self._fall_back,
        )
        tokens.on_refresh(self._ws.reauthenticate)

    # -- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> LiveConnection:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self, timeout: float | None = None) -> None:
        """Start, and wait for the first connection (WebSocket) or return at once (SSE)."""
        self._tasks.spawn(self._keep_tokens_fresh())
        if self.transport != "sse":
            self._tasks.spawn(self._ws.run())
            await asyncio.wait_for(self._ws.connected.wait(), timeout or self.request_timeout * 3)

    async def close(self) -> None:
        self._ws.closed = True
        self.tokens.off_refresh(self._ws.reauthenticate)
        await self._tasks.stop()
        await self._ws.close()
        await self._sse.close()

    @property
    def using_sse(self) -> bool:
        return self.transport == "sse"

    # -- what the app calls -------------------------------------------------------------------

    async def subscribe(self, channel: str, since: str | None = None) -> None:
        """Follow `channel` from now, or after event `since` (`"0"`: all the history kept).
        Raises `LiveError` (`forbidden`, `bad_channel`, ...) when the server refuses."""
        if since is not None:
            self.positions.set(channel, since)
        self.channels.add(channel)
        try:
            if self.using_sse:
                self._sse.follow(channel)
            elif (link := self._ws.link) is not None:
                await self._ws.subscribe(link, channel)
        except (LiveError, ApiError):
            self._drop(channel)
            raise

    async def unsubscribe(self, channel: str) -> None:
        self._drop(channel)
        if self.using_sse:
            self._sse.unfollow(channel)
        elif (link := self._ws.link) is not None:
            with contextlib.suppress(NotConnected):
                await link.request("unsubscribe", self.request_timeout, channel=channel)

    async def request(self, op: str, **fields: Any) -> Frame:
        """Any op over the WebSocket; its reply frame. Raises `LiveError`, `RequestTimeout`,
        or `NotConnected` (while reconnecting, or over SSE, which only listens)."""
        link = self._ws.link
        if link is None:
            raise NotConnected(f"{op!r} needs the WebSocket, which is not connected now")
        return await link.request(op, self.request_timeout, **fields)

    async def chat(self, order_id: int, body: str) -> int:
        """Send a chat message; its sequence number (it also arrives on the chat channel)."""
        return int((await self.request("chat", order_id=order_id, body=body))["seq"])

    async def location(self, lat: float, lng: float, ts: str, **extra: float) -> Frame:
        """A washer's GPS fix (`heading`, `speed`, `accuracy` optional); the raw reply frame.
        `send_fix` is the typed form."""
        return await self.request("location", lat=lat, lng=lng, ts=ts, **extra)

    async def send_fix(self, fix: LocationFix) -> LocationReply:
        """Send a typed GPS fix; raises `LiveError` (`invalid_fix`, with `frame["reason"]`)
        when validation refuses it."""
        fields = msgspec.to_builtins(fix)
        reply = await self.request("location", **fields)
        return msgspec.convert(reply, LocationReply, strict=False)

    async def next(self, timeout: float | None = None) -> LiveItem:
        """The next event, reset or unsubscribed notice; raises what ended the connection
        (`SessionEnded` once the server ended the session, every time it is asked again)."""
        if self.ended is not None and self._items.empty():
            raise self.ended
        item = await asyncio.wait_for(self._items.get(), timeout)
        if isinstance(item, WashlineError):
            raise item
        return item

    async def __aiter__(self) -> AsyncIterator[LiveItem]:
        while True:
            yield await self.next()

    # -- incoming frames ----------------------------------------------------------------------

    def _on_frame(self, frame: Frame) -> None:
        kind, channel = frame.get("type"), frame.get("channel")
        if not isinstance(channel, str) or channel not in self.channels:
            return  # a channel dropped meanwhile, or a frame for no channel
        if kind == "event":
            try:
                event = msgspec.convert(frame, Event)
            except msgspec.ValidationError:
                return
            if self.positions.accept(channel, event.id):
                self._items.put_nowait(event)
        elif kind == "reset":
            reset = Reset(channel)
            self._items.put_nowait(reset)
            if self.on_reset is not None:
                self._tasks.spawn(call_app(self.on_reset, reset))
        elif kind == "unsubscribed":
            code, message = str(frame.get("code", "forbidden")), str(frame.get("message", ""))
            self._lose(channel, code, message)

    def _end(self, frame: Frame) -> None:
        """The session is over: stop for good (no retry could succeed) and tell the app once."""
        if self.ended is not None:
            return
        self.ended = SessionEnded(
            str(frame.get("code") or ACCESS_REVOKED),
            str(frame.get("reason") or ""),
            str(frame.get("message") or ""),
        )
        self._ws.closed = True
        self._items.put_nowait(self.ended)
        self._ws.connected.set()  # a connect() still waiting returns; next() raises the end
        self._tasks.cancel()
        self._sse.stop_all()
        if self.on_ended is not None:
            self._tasks.spawn_detached(call_app(self.on_ended, self.ended))

    def _drop(self, channel: str) -> None:
        self.channels.discard(channel)
        self.positions.forget(channel)

    def _lose(self, channel: str, code: str, message: str) -> None:
        """The server took `channel` away (or refused it again after a reconnect)."""
        self._drop(channel)
        self._items.put_nowait(Unsubscribed(channel, code, message))

    async def _keep_tokens_fresh(self) -> None:
        while not self._ws.closed:
            await asyncio.sleep(max(0.0, self.tokens.seconds_until_refresh()))
            token = self.tokens.pair.access_token
            try:
                await self.tokens.refresh(token)  # due; a no-op if rotated meanwhile
            except WashlineError as failed:
                log.debug("token refresh failed, retrying: %r", failed)
                await asyncio.sleep(5.0)

    # -- the SSE fallback ---------------------------------------------------------------------

    def _fall_back(self) -> bool:
        """The WebSocket handshake was refused: listen over SSE, if the app let the SDK
        choose and no socket ever held (True when it switched)."""
        if self.transport != "auto" or self.connects:
            return False
        self.transport = "sse"
        for channel in sorted(self.channels):
            self._sse.follow(channel)
        self._ws.connected.set()  # the first connect() returns; ops raise NotConnected
        return True

    def _stream_opened(self) -> None:
        self.connects += 1
