"""The SSE fallback at work: one background task per stream the followed channels need, each
reopened from the SDK's positions after it ends, with a fresh token and a jittered backoff.

A stream refused (403/404) or ended with `forbidden` reports its channels as unsubscribed;
one ended with `token_expired` reopens at once with the refreshed token; one ended with
`access_revoked` (or refused with 401 when the refresh is refused too) ends the session:
`on_ended` is told and nothing reopens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import httpx

from washline_client.backoff import Backoff
from washline_client.errors import ACCESS_REVOKED, ApiError, LiveError, WashlineError
from washline_client.positions import Positions
from washline_client.sse import Frame, last_event_id, read_stream, stream_path
from washline_client.tokens import TokenKeeper

log = logging.getLogger(__name__)


class SseFollower:
    """Keeps the SSE streams of `channels` open (the set is shared with the connection)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: TokenKeeper,
        positions: Positions,
        channels: set[str],
        on_frame: Callable[[Frame], None],
        on_open: Callable[[], None],
        backoff: Backoff,
        read_timeout: float,
        on_ended: Callable[[Frame], None],
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._positions = positions
        self._channels = channels
        self._on_frame = on_frame
        self._on_open = on_open
        self._backoff = backoff
        self._read_timeout = read_timeout
        self._on_ended = on_ended
        self._streams: dict[str, asyncio.Task[None]] = {}

    def _path(self, channel: str) -> str | None:
        return stream_path(channel, self._tokens.user.id)

    def follow(self, channel: str) -> None:
        path = self._path(channel)
        if path is None:
            raise LiveError("unsupported_op", f"no SSE stream carries {channel!r}")
        running = self._streams.pop(path, None)
        if running is not None:
            running.cancel()  # reopened with every channel's position (a `since` included)
        self._streams[path] = asyncio.create_task(self._run(path))

    def unfollow(self, channel: str) -> None:
        """Close the channel's stream once no followed channel needs it."""
        path = self._path(channel)
        if path and not any(self._path(c) == path for c in self._channels):
            task = self._streams.pop(path, None)
            if task is not None:
                task.cancel()

    def stop_all(self) -> None:
        """Stop every stream (the session ended), the one calling this included once it
        returns: it is not cancelled under its own feet."""
        current = asyncio.current_task()
        for task in self._streams.values():
            if task is not current:
                task.cancel()
        self._streams.clear()

    async def close(self) -> None:
        tasks = list(self._streams.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._http.aclose()

    def _opened(self, backoff: Backoff) -> None:
        backoff.reset()
        self._on_open()

    def _unsubscribe(self, channels: list[str], code: str, message: str = "") -> None:
        for channel in channels:
            self._on_frame(
                {"type": "unsubscribed", "channel": channel, "code": code, "message": message}
            )

    async def _run(self, path: str) -> None:
        backoff = Backoff(self._backoff.base, self._backoff.cap)
        while True:
            channels = [c for c in self._channels if self._path(c) == path]
            token = ""
            ended: Frame | None = None
            try:
                token = await self._tokens.access_token()
                resume = last_event_id(path, self._positions.snapshot(), channels)
                ended = await read_stream(
                    self._http,
                    path,
                    token,
                    resume,
                    self._on_frame,
                    lambda: self._opened(backoff),
                    self._read_timeout,
                )
            except ApiError as refused:
                if refused.status in (403, 404):
                    return self._unsubscribe(channels, refused.code, refused.message)
                if refused.status == 401 and await self._session_refused(token):
                    return self._on_ended({"code": ACCESS_REVOKED, "reason": "refresh_refused"})
            except (httpx.HTTPError, OSError, WashlineError) as failed:
                log.debug("SSE stream %s failed: %r", path, failed)
            ended = ended or {}
            if ended.get("code") == ACCESS_REVOKED:
                return self._on_ended(ended)  # the session is over: never reopen
            if ended.get("code") == "forbidden":
                return self._unsubscribe(channels, "forbidden", str(ended.get("message", "")))
            if ended.get("code") == "token_expired":
                with contextlib.suppress(WashlineError):
                    await self._tokens.refresh(token)  # a no-op when already rotated
                continue  # reopen at once, from the same positions
            await asyncio.sleep(backoff.next_delay())

    async def _session_refused(self, token: str) -> bool:
        """A 401: refresh; True when the refresh is refused too (the session ended)."""
        try:
            await self._tokens.refresh(token)
        except ApiError as refused:
            return refused.status == 401
        except WashlineError as failed:
            log.debug("token refresh failed, retrying: %r", failed)
        return False
