"""Real live clients for end-to-end tests: a WebSocket client and an SSE reader.

Every wait is bounded by a timeout so a broken server fails a test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import websockets
from httpx_sse import aconnect_sse
from websockets.asyncio.client import ClientConnection

Frame = dict[str, Any]
DEFAULT_TIMEOUT = 10.0


class LiveClient:
    """A `/ws` connection that keeps every frame it receives, in order."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.frames: list[Frame] = []
        self._refs = itertools.count(1)
        self._arrived = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())
        self.close_code: int | None = None
        self.close_reason: str | None = None

    async def _read(self) -> None:
        try:
            async for message in self.connection:
                async with self._arrived:
                    self.frames.append(json.loads(message))
                    self._arrived.notify_all()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.connection.close_code
            self.close_reason = self.connection.close_reason
            async with self._arrived:
                self._arrived.notify_all()

    async def send(self, frame: Frame | str) -> None:
        await self.connection.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def wait_for(
        self, predicate: Callable[[Frame], bool], timeout: float = DEFAULT_TIMEOUT
    ) -> Frame:
        """The first frame (already received or arriving) that matches."""

        async def find() -> Frame:
            async with self._arrived:
                while True:
                    for frame in self.frames:
                        if predicate(frame):
                            return frame
                    if self._reader.done():
                        raise ConnectionError(f"closed {self.close_code} {self.close_reason}")
                    await self._arrived.wait()

        return await asyncio.wait_for(find(), timeout)

    async def request(self, op: str, timeout: float = DEFAULT_TIMEOUT, **fields: Any) -> Frame:
        """Send an op with a fresh ref and return its reply or error frame."""
        ref = next(self._refs)
        await self.send({"op": op, "ref": ref, **fields})
        return await self.wait_for(
            lambda f: f.get("ref") == ref and f.get("type") in ("reply", "error"), timeout
        )

    async def subscribe(self, channel: str, since: str | None = None) -> Frame:
        fields: dict[str, Any] = {"channel": channel}
        if since is not None:
            fields["since"] = since
        return await self.request("subscribe", **fields)

    def events(self, channel: str | None = None) -> list[Frame]:
        return [
            f
            for f in self.frames
            if f.get("type") == "event" and (channel is None or f["channel"] == channel)
        ]

    async def wait_events(
        self, channel: str, count: int, timeout: float = DEFAULT_TIMEOUT
    ) -> list[Frame]:
        """Wait until `count` events of `channel` have arrived; return them."""

        async def enough() -> list[Frame]:
            async with self._arrived:
                while len(self.events(channel)) < count:
                    if self._reader.done():
                        raise ConnectionError(
                            f"closed {self.close_code} with {len(self.events(channel))} events"
                        )
                    await self._arrived.wait()
                return self.events(channel)

        return await asyncio.wait_for(enough(), timeout)

    async def wait_closed(self, timeout: float = DEFAULT_TIMEOUT) -> int | None:
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.close_code

    async def close(self) -> None:
        await self.connection.close()
        await asyncio.gather(self._reader, return_exceptions=True)


@asynccontextmanager
async def live_client(ws_url: str, token: str | None, **connect: Any) -> AsyncIterator[LiveClient]:
    url = f"{ws_url}?token={token}" if token else ws_url
    async with websockets.connect(url, open_timeout=DEFAULT_TIMEOUT, **connect) as connection:
        client = LiveClient(connection)
        try:
            yield client
        finally:
            await client.close()


class SseReader:
    """Reads an SSE stream in the background, keeping events (id, event, parsed data)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Frame]] = []
        self.ended = asyncio.Event()
        self.status: int | None = None
        self._arrived = asyncio.Condition()

    async def run(self, client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
        try:
            async with aconnect_sse(client, "GET", url, headers=headers) as source:
                self.status = source.response.status_code
                async for event in source.aiter_sse():
                    async with self._arrived:
                        self.events.append((event.id, event.event, json.loads(event.data)))
                        self._arrived.notify_all()
        finally:
            self.ended.set()
            async with self._arrived:
                self._arrived.notify_all()

    async def wait_count(self, count: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        async def enough() -> None:
            async with self._arrived:
                while len(self.events) < count:
                    if self.ended.is_set():
                        raise ConnectionError(f"stream ended with {len(self.events)} events")
                    await self._arrived.wait()

        await asyncio.wait_for(enough(), timeout)
