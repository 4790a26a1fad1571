"""The live connection: subscriptions that survive reconnects, exactly once, in order.

The SDK keeps the last event id of every channel. After any disconnect it reconnects with a
jittered backoff and subscribes again with `since` = that id, so the server replays what was
missed; whatever arrives twice (replayed and live, or across a restart) is dropped by id.
When the server can no longer serve a `since` it says `reset`: the app gets a `Reset` item
(and `on_reset`), reloads that channel over REST and carries on.

The WebSocket carries the token as a subprotocol and re-authenticates with `auth` whenever
the tokens rotate; the SSE fallback (`transport="sse"`, or `"auto"` when the WebSocket
handshake is refused) reopens its streams from the same positions with a fresh token.

When the server ends the session itself (`access_revoked`: the error frame before close
4001, or the SSE `end` event; or a 4001 whose refresh is refused too) nothing reconnects:
the app is told once, through `on_ended` and a `SessionEnded` raised by `next()`, and the
user must log in again.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

import httpx
import msgspec
from websockets.exceptions import InvalidHandshake, InvalidStatus

from washline_client.backoff import Backoff
from washline_client.errors import (
    ACCESS_REVOKED,
    ApiError,
    ConnectionRefused,
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
from washline_client.tokens import TokenKeeper, TokenPair
from washline_client.ws import Frame, WsLink, ws_url

Transport = Literal["ws", "sse", "auto"]
ResetHandler = Callable[[Reset], Awaitable[None] | None]
EndedHandler = Callable[[SessionEnded], Awaitable[None] | None]
UNAUTHORIZED, ACCESS_ENDED = 4001, 4003
BACK_OFF_CODES = (4009, 4029)
"""Close codes that mean "too many": skip the short delays."""
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
        self._revoked: Frame | None = None
        """The `access_revoked` frame the current socket got before its close."""
        self.request_timeout = request_timeout
        self.backoff = backoff or Backoff()
        self.positions = Positions()
        self.channels: set[str] = set()
        self.connects = 0
        """Successful (re)connections so far (sockets, or SSE streams opened): the first is 1."""
        self._items: asyncio.Queue[LiveItem | WashlineError] = asyncio.Queue()
        self._link: WsLink | None = None
        self._connected = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._detached: set[asyncio.Future[None]] = set()
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
        self._closed = False
        tokens.on_refresh(self._reauthenticate)

    # -- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> LiveConnection:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self, timeout: float | None = None) -> None:
        """Start, and wait for the first connection (WebSocket) or return at once (SSE)."""
        self._spawn(self._keep_tokens_fresh())
        if self.transport != "sse":
            self._spawn(self._run_websocket())
            await asyncio.wait_for(self._connected.wait(), timeout or self.request_timeout * 3)

    async def close(self) -> None:
        self._closed = True
        self.tokens.off_refresh(self._reauthenticate)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._link is not None:
            await self._link.close()
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
            elif self._link is not None and self._connected.is_set():
                await self._subscribe_on(self._link, channel)
        except (LiveError, ApiError):
            self._drop(channel)
            raise

    async def unsubscribe(self, channel: str) -> None:
        self._drop(channel)
        if self.using_sse:
            self._sse.unfollow(channel)
        elif self._link is not None and self._connected.is_set():
            with contextlib.suppress(NotConnected):
                await self._link.request("unsubscribe", self.request_timeout, channel=channel)

    async def request(self, op: str, **fields: Any) -> Frame:
        """Any op over the WebSocket; its reply frame. Raises `LiveError`, `RequestTimeout`,
        or `NotConnected` (while reconnecting, or over SSE, which only listens)."""
        link = self._link
        if link is None or not self._connected.is_set():
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
        if kind == "error" and frame.get("code") == ACCESS_REVOKED:
            self._revoked = frame  # the close (4001) that follows ends the connection for good
            return
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
                self._spawn(self._call_reset(reset))
        elif kind == "unsubscribed":
            self._drop(channel)
            code, message = str(frame.get("code", "forbidden")), str(frame.get("message", ""))
            self._items.put_nowait(Unsubscribed(channel, code, message))

    def _end(self, frame: Frame) -> None:
        """The session is over: stop for good (no retry could succeed) and tell the app once."""
        if self.ended is not None:
            return
        self.ended = SessionEnded(
            str(frame.get("code") or ACCESS_REVOKED),
            str(frame.get("reason") or ""),
            str(frame.get("message") or ""),
        )
        self._closed = True
        self._items.put_nowait(self.ended)
        self._connected.set()  # a connect() still waiting returns; next() raises the end
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        self._sse.stop_all()
        if self.on_ended is not None:
            self._spawn_detached(self._call_ended(self.ended))

    async def _call_ended(self, ended: SessionEnded) -> None:
        assert self.on_ended is not None
        result = self.on_ended(ended)
        if inspect.isawaitable(result):
            await result

    async def _call_reset(self, reset: Reset) -> None:
        assert self.on_reset is not None
        result = self.on_reset(reset)
        if inspect.isawaitable(result):
            await result

    def _drop(self, channel: str) -> None:
        self.channels.discard(channel)
        self.positions.forget(channel)

    # -- the WebSocket ------------------------------------------------------------------------

    async def _run_websocket(self) -> None:
        url = ws_url(self.base_url)
        while not self._closed:
            token = ""
            try:
                token = await self.tokens.access_token()
                link = await WsLink.open(url, token, self._on_frame, self.request_timeout)
            except InvalidStatus as refused:
                # Refused at the handshake (4xx: a proxy or policy that drops WebSockets) before
                # any socket ever held: listen over SSE instead. A 5xx is an outage: retry.
                status = refused.response.status_code
                if self.transport == "auto" and self.connects == 0 and status < 500:
                    return self._switch_to_sse()
                await asyncio.sleep(self.backoff.next_delay())
                continue
            except (OSError, TimeoutError, InvalidHandshake, WashlineError) as failed:
                log.debug("live connect failed: %r", failed)
                await asyncio.sleep(self.backoff.next_delay())
                continue
            self._link = link
            self._revoked = None
            reader = asyncio.create_task(link.run())
            try:
                for channel in sorted(self.channels):
                    await self._resubscribe(link, channel)
                self.connects += 1
                self.backoff.reset()
                self._connected.set()
                await reader
            except (NotConnected, TimeoutError, WashlineError) as failed:
                log.debug("live connection lost while subscribing: %r", failed)
            finally:
                self._connected.clear()
                self._link = None
                reader.cancel()
                await link.close()
            await self._after_close(link.close_code, link.close_reason, token)

    async def _after_close(self, code: int | None, reason: str, token: str) -> None:
        if self._closed:
            return
        if code == ACCESS_ENDED:
            self._closed = True
            self._items.put_nowait(ConnectionRefused(code, reason))
            return
        if code == UNAUTHORIZED and self._revoked is not None:
            return self._end(self._revoked)
        if code == UNAUTHORIZED and await self._session_refused(token):
            return self._end({"code": ACCESS_REVOKED, "reason": "refresh_refused"})
        if code in BACK_OFF_CODES:
            self.backoff.at_least(4)
        await asyncio.sleep(self.backoff.next_delay())

    async def _session_refused(self, token: str) -> bool:
        """After a 4001 without `access_revoked` (an expired token, or a socket opened with
        the token of a session that ended meanwhile): refresh; True when that is refused."""
        try:
            await self.tokens.refresh(token)
        except ApiError as refused:
            return refused.status == 401
        except WashlineError:
            pass  # unreachable for now: retry later
        return False

    async def _subscribe_on(self, link: WsLink, channel: str) -> None:
        fields: dict[str, Any] = {"channel": channel}
        since = self.positions.get(channel)
        if since is not None:
            fields["since"] = since
        await link.request("subscribe", self.request_timeout, **fields)

    async def _resubscribe(self, link: WsLink, channel: str) -> None:
        """Subscribe again after a reconnect; a channel the user lost is reported, not fatal."""
        try:
            await self._subscribe_on(link, channel)
        except LiveError as refused:
            self._drop(channel)
            self._items.put_nowait(Unsubscribed(channel, refused.code, refused.message))

    async def _reauthenticate(self, pair: TokenPair) -> None:
        """New tokens: tell the open socket, so it outlives the old token's expiry."""
        link = self._link
        if link is None or not self._connected.is_set():
            return  # the next connection uses the new token anyway
        try:
            await link.request("auth", self.request_timeout, token=pair.access_token)
        except WashlineError as failed:
            log.debug("re-authentication failed (the server will close with 4001): %r", failed)

    async def _keep_tokens_fresh(self) -> None:
        while not self._closed:
            await asyncio.sleep(max(0.0, self.tokens.seconds_until_refresh()))
            token = self.tokens.pair.access_token
            try:
                await self.tokens.refresh(token)  # due; a no-op if rotated meanwhile
            except WashlineError as failed:
                log.debug("token refresh failed, retrying: %r", failed)
                await asyncio.sleep(5.0)

    # -- the SSE fallback ---------------------------------------------------------------------

    def _switch_to_sse(self) -> None:
        self.transport = "sse"
        for channel in sorted(self.channels):
            self._sse.follow(channel)
        self._connected.set()  # the first connect() returns; ops raise NotConnected

    def _stream_opened(self) -> None:
        self.connects += 1

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _spawn_detached(self, work: Awaitable[None]) -> None:
        """Run `work` to its end even though the connection is closing (its own tasks are
        cancelled by then): the app's `on_ended` must be called."""
        task = asyncio.ensure_future(work)
        self._detached.add(task)
        task.add_done_callback(self._detached.discard)
