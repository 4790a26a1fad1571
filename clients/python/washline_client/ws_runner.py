"""The WebSocket side of a live connection: one socket at a time, reopened with a jittered
backoff, every followed channel subscribed again from its position, and the token renewed
on the open socket whenever it rotates.

How a socket closed decides what comes next: 4003 refuses the connection for good; 4001
after `access_revoked`, or whose refresh is refused too, ends the session; 4009 and 4029
("too many") skip the short delays; anything else reconnects. A handshake refused with a
4xx before any socket ever held asks the connection to listen over SSE instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from websockets.exceptions import InvalidHandshake, InvalidStatus

from washline_client.backoff import Backoff
from washline_client.errors import (
    ACCESS_REVOKED,
    ApiError,
    ConnectionRefused,
    LiveError,
    NotConnected,
    WashlineError,
)
from washline_client.positions import Positions
from washline_client.tokens import TokenKeeper, TokenPair
from washline_client.ws import Frame, WsLink, ws_url

UNAUTHORIZED, ACCESS_ENDED = 4001, 4003
BACK_OFF_CODES = (4009, 4029)
"""Close codes that mean "too many": skip the short delays."""
log = logging.getLogger(__name__)


class WsRunner:
    """Keeps a WebSocket open for the followed `channels` (the set is shared with the
    connection), until `closed` is set."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenKeeper,
        positions: Positions,
        channels: set[str],
        backoff: Backoff,
        request_timeout: float,
        *,
        on_frame: Callable[[Frame], None],
        on_open: Callable[[], None],
        on_lost: Callable[[str, str, str], None],
        on_error: Callable[[WashlineError], None],
        on_ended: Callable[[Frame], None],
        fall_back: Callable[[], bool],
    ) -> None:
        self._url = ws_url(base_url)
        self._tokens = tokens
        self._positions = positions
        self._channels = channels
        self._backoff = backoff
        self._request_timeout = request_timeout
        self._on_frame = on_frame
        self._on_open = on_open
        self._on_lost = on_lost
        self._on_error = on_error
        self._on_ended = on_ended
        self._fall_back = fall_back
        self.connected = asyncio.Event()
        """Set once a socket holds with every channel subscribed again (and when the
        connection stops waiting for one: SSE, or the session ended)."""
        self.closed = False
        self._link: WsLink | None = None
        self._revoked: Frame | None = None
        """The `access_revoked` frame the current socket got before its close."""

    @property
    def link(self) -> WsLink | None:
        """The socket ops may use now; None while (re)connecting."""
        return self._link if self.connected.is_set() else None

    async def run(self) -> None:
        while not self.closed:
            token = ""
            try:
                token = await self._tokens.access_token()
                link = await WsLink.open(self._url, token, self._frame, self._request_timeout)
            except InvalidStatus as refused:
                # Refused at the handshake (4xx: a proxy or policy that drops WebSockets) before
                # any socket ever held: listen over SSE instead. A 5xx is an outage: retry.
                if refused.response.status_code < 500 and self._fall_back():
                    return
                await asyncio.sleep(self._backoff.next_delay())
                continue
            except (OSError, TimeoutError, InvalidHandshake, WashlineError) as failed:
                log.debug("live connect failed: %r", failed)
                await asyncio.sleep(self._backoff.next_delay())
                continue
            self._link = link
            self._revoked = None
            reader = asyncio.create_task(link.run())
            try:
                for channel in sorted(self._channels):
                    await self._resubscribe(link, channel)
                self._on_open()
                self._backoff.reset()
                self.connected.set()
                await reader
            except (NotConnected, TimeoutError, WashlineError) as failed:
                log.debug("live connection lost while subscribing: %r", failed)
            finally:
                self.connected.clear()
                self._link = None
                reader.cancel()
                await link.close()
            await self._after_close(link.close_code, link.close_reason, token)

    async def close(self) -> None:
        if self._link is not None:
            await self._link.close()

    async def subscribe(self, link: WsLink, channel: str) -> None:
        """Subscribe on `link` from the channel's position, if it has one."""
        fields: dict[str, Any] = {"channel": channel}
        since = self._positions.get(channel)
        if since is not None:
            fields["since"] = since
        await link.request("subscribe", self._request_timeout, **fields)

    async def reauthenticate(self, pair: TokenPair) -> None:
        """New tokens: tell the open socket, so it outlives the old token's expiry."""
        link = self.link
        if link is None:
            return  # the next connection uses the new token anyway
        try:
            await link.request("auth", self._request_timeout, token=pair.access_token)
        except WashlineError as failed:
            log.debug("re-authentication failed (the server will close with 4001): %r", failed)

    def _frame(self, frame: Frame) -> None:
        if frame.get("type") == "error" and frame.get("code") == ACCESS_REVOKED:
            self._revoked = frame  # the close (4001) that follows ends the connection for good
            return
        self._on_frame(frame)

    async def _after_close(self, code: int | None, reason: str, token: str) -> None:
        if self.closed:
            return
        if code == ACCESS_ENDED:
            self.closed = True
            self._on_error(ConnectionRefused(code, reason))
            return
        if code == UNAUTHORIZED and self._revoked is not None:
            return self._on_ended(self._revoked)
        if code == UNAUTHORIZED and await self._session_refused(token):
            return self._on_ended({"code": ACCESS_REVOKED, "reason": "refresh_refused"})
        if code in BACK_OFF_CODES:
            self._backoff.at_least(4)
        await asyncio.sleep(self._backoff.next_delay())

    async def _session_refused(self, token: str) -> bool:
        """After a 4001 without `access_revoked` (an expired token, or a socket opened with
        the token of a session that ended meanwhile): refresh; True when that is refused."""
        try:
            await self._tokens.refresh(token)
        except ApiError as refused:
            return refused.status == 401
        except WashlineError:
            pass  # unreachable for now: retry later
        return False

    async def _resubscribe(self, link: WsLink, channel: str) -> None:
        """Subscribe again after a reconnect; a channel the user lost is reported, not fatal."""
        try:
            await self.subscribe(link, channel)
        except LiveError as refused:
            self._on_lost(channel, refused.code, refused.message)
