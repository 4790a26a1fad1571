"""The simulator's live connection: one multiplexed `/ws` socket per simulated person, on the
client SDK's socket (`washline_client.ws.WsLink`), kept alive like a well-mannered mobile
app's: it reconnects with a jittered backoff and resumes every channel from the last event
it saw, dropping duplicates by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

import websockets
from washline_client import LiveError as SdkLiveError
from washline_client import NotConnected, RequestTimeout
from washline_client.positions import Positions
from washline_client.ws import WsLink

Frame = dict[str, Any]
TokenSource = Callable[[bool], Awaitable[str]]
"""Returns a valid access token; `True` forces a new one (the last one was refused)."""
CLOSE_UNAUTHORIZED = 4001


LiveError = SdkLiveError
"""An op answered with an error frame, or no socket (`code` "disconnected")."""


class Live:
    """One multiplexed `/ws` connection kept alive for its owner, on the client SDK's
    socket (`WsLink`: handshake, reader, ops matched to replies) and its per-channel
    `Positions` (resume point, duplicates dropped by id).

    Events and resets go to `on_frame`; error frames nobody waits for go to `on_notice`.
    The channels it was asked to follow survive reconnects: each is subscribed again from
    the last event id seen, so nothing is missed and duplicates are dropped by id.
    """

    def __init__(
        self,
        ws_url: str,
        token: TokenSource,
        *,
        on_frame: Callable[[Frame], None],
        on_notice: Callable[[str], None],
        rng: random.Random,
    ) -> None:
        self._url = ws_url
        self._token = token
        self._on_frame = on_frame
        self._on_notice = on_notice
        self._rng = rng
        self._refs = itertools.count(1_000_000_000)  # fire-and-forget ops: never awaited
        self._channels: dict[str, str | None] = {}
        """The channels to follow, with the `since` first asked for."""
        self._positions = Positions()
        self._link: WsLink | None = None
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sim-live")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._task = None

    async def _run(self) -> None:
        backoff, refused, failures = 1.0, False, 0
        while True:
            code: int | None = None
            try:
                token = await self._token(refused)
                link = await WsLink.open(self._url, token, self._handle, timeout=10)
                self._link = link
                self.connected.set()
                resubscribe = asyncio.create_task(self._resubscribe())
                try:
                    await link.run()
                finally:
                    resubscribe.cancel()
                    code = link.close_code
                    with contextlib.suppress(Exception):
                        await link.close()
                backoff, failures = 1.0, 0
            except asyncio.CancelledError:
                if self._link is not None:
                    with contextlib.suppress(Exception):
                        await self._link.close()
                raise
            except Exception as exc:  # network, handshake, token: all end in a retry
                failures += 1
                if failures % 10 == 1:  # the first of a run of failures, then now and then
                    self._on_notice(f"live connection failed ({failures}x): {exc!r}")
            finally:
                self._link = None
                self.connected.clear()
            refused = code == CLOSE_UNAUTHORIZED
            if code is not None:
                self._on_notice(f"live socket closed ({code}); reconnecting")
            await asyncio.sleep(backoff * self._rng.uniform(0.8, 1.3))
            backoff = min(backoff * 2, 15.0)

    def _since(self, channel: str) -> str | None:
        return self._positions.get(channel) or self._channels.get(channel)

    async def _resubscribe(self) -> None:
        for channel in list(self._channels):
            try:
                await self.request("subscribe", channel=channel, since=self._since(channel))
            except LiveError as exc:
                if exc.code == "disconnected":
                    return
                self._forget(channel)  # refused for good (e.g. no longer ours)
                self._on_notice(f"could not resubscribe {channel}: {exc}")
            except TimeoutError:
                self._on_notice(f"no answer resubscribing {channel}")

    def _forget(self, channel: str) -> None:
        self._channels.pop(channel, None)
        self._positions.forget(channel)

    def _dispatch(self, message: str | bytes) -> None:
        """One raw frame, as the socket reader hands them over."""
        try:
            frame = json.loads(message)
        except ValueError:
            return
        if isinstance(frame, dict):
            self._handle(frame)

    def _handle(self, frame: Frame) -> None:
        """A frame no op waits for: an event, a reset, or an answer to a fire-and-forget op."""
        kind = frame.get("type")
        if kind in ("reply", "error"):
            if kind == "error":
                refusal, detail = frame.get("code"), frame.get("message")
                self._on_notice(f"server refused an op: {refusal}: {detail}")
            return
        if kind == "event" and not self._is_new(frame):
            return
        self._on_frame(frame)

    def _is_new(self, frame: Frame) -> bool:
        """Record the event's id; False for one already seen (at-least-once delivery)."""
        channel, event_id = frame.get("channel"), frame.get("id")
        if not isinstance(channel, str) or not isinstance(event_id, str) or not event_id:
            return True  # ephemeral events (typing, ticks) carry no position to resume from
        if channel not in self._channels:
            return True
        return self._positions.accept(channel, event_id)

    async def request(self, op: str, reply_within: float = 10.0, **fields: Any) -> Frame:
        """Send an op and wait for its reply; LiveError for an error frame or no socket,
        TimeoutError for no answer in time."""
        link = self._link
        if link is None:
            raise LiveError("disconnected", "not connected")
        try:
            return await link.request(op, reply_within, **fields)
        except NotConnected:
            raise LiveError("disconnected", "socket closed") from None
        except RequestTimeout:
            raise TimeoutError(f"no reply to {op!r} within {reply_within:g} s") from None

    async def send(self, op: str, **fields: Any) -> bool:
        """Fire and forget (a refusal still reaches `on_notice`); False when offline."""
        link = self._link
        if link is None:
            return False
        try:
            await link.connection.send(json.dumps({"op": op, "ref": next(self._refs), **fields}))
        except websockets.ConnectionClosed:
            return False
        return True

    async def follow(self, channel: str, since: str | None = None) -> None:
        """Subscribe now if connected, and again after every reconnect."""
        self._channels.setdefault(channel, since)
        if self._link is None:
            return
        try:
            await self.request("subscribe", channel=channel, since=self._since(channel))
        except LiveError as exc:
            if exc.code != "disconnected":  # refused: asking again after a reconnect won't help
                self._forget(channel)
                self._on_notice(f"could not subscribe {channel}: {exc}")
        except TimeoutError:
            self._on_notice(f"no answer subscribing {channel}")

    async def unfollow(self, channel: str) -> None:
        if channel not in self._channels:
            return
        self._forget(channel)
        with contextlib.suppress(LiveError, TimeoutError):
            await self.request("unsubscribe", channel=channel)

    async def reauthenticate(self, token: str) -> None:
        """Hand a refreshed token to the live socket before the old one expires."""
        if self._link is None:
            return  # the next connection uses the new token anyway
        try:
            await self.request("auth", token=token)
        except (LiveError, TimeoutError) as exc:
            self._on_notice(f"could not refresh the socket's token: {exc}")
