"""Clients for the chaos drill: a REST caller that retries the way a mobile app does, and a
live subscriber that reconnects to another server and resumes with `since`. Both record
what went wrong instead of raising, so the drill can report everything at the end."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import httpx
import websockets

from tests.support.server import ServerProcess

Alive = Callable[[], list[ServerProcess]]
RETRY_FOR = 60.0
"""How long one call is retried through outages before the drill gives up on it."""


class Api:
    """Round-robins calls over the live servers; connection failures, 5xx and 429 are retried
    (POSTs carry an `Idempotency-Key`, so a retry never acts twice). Every status is counted
    by the drill's current phase."""

    def __init__(self, alive: Alive, phase: Callable[[], str]) -> None:
        self._alive = alive
        self._phase = phase
        self._turn = 0
        self.client = httpx.AsyncClient(timeout=10)
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.server_errors: list[str] = []

    async def call(
        self, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> httpx.Response:
        if method == "POST":
            headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
        trail: list[str] = []
        try:
            async with asyncio.timeout(RETRY_FOR):
                response = await self._retry(method, path, headers, body, trail)
        except TimeoutError:
            raise AssertionError(
                f"{method} {path} unanswered for {RETRY_FOR:g} s: {trail}"
            ) from None
        response.extensions["attempts"] = trail
        return response

    async def _retry(
        self, method: str, path: str, headers: dict[str, str], body: Any, trail: list[str]
    ) -> httpx.Response:
        while True:
            servers = self._alive()
            self._turn += 1
            server = servers[self._turn % len(servers)]
            try:
                response = await self.client.request(
                    method, server.base_url + path, headers=headers, json=body
                )
            except httpx.TransportError as exc:
                trail.append(f"{self._phase()} {server.port}: {exc!r}")
                await asyncio.sleep(0.1)
                continue
            self.statuses[(self._phase(), response.status_code)] += 1
            trail.append(
                f"{self._phase()} {server.port}: {response.status_code} {response.text[:200]}"
            )
            if response.status_code >= 500:
                if response.status_code != 503:
                    self.server_errors.append(
                        f"{self._phase()}: {method} {path} -> {response.status_code} "
                        f"{response.text[:200]}"
                    )
                await asyncio.sleep(0.25)
                continue
            if response.status_code == 429:  # a chat burst: back off as told
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
                continue
            if response.status_code == 409 and "in_progress" in response.text:
                await asyncio.sleep(0.25)
                continue
            return response

    async def aclose(self) -> None:
        await self.client.aclose()


class Watcher:
    """One user's `/ws`, subscribed to a growing set of channels. After any drop it connects
    to the next live server and resubscribes each channel from the last id it received."""

    def __init__(self, name: str, token: str, alive: Alive, first: int) -> None:
        self.name = name
        self.token = token
        self._alive = alive
        self._index = first
        self.last: dict[str, int] = {}
        self.received: dict[str, list[int]] = defaultdict(list)
        self.floor: dict[str, int] = {}
        """Per channel, the id this connection's stream must stay above (resume point, then
        each id received)."""
        self.problems: list[str] = []
        self.connections = 0
        self.subscribe_retries = 0
        self.answers: dict[str, list[str]] = defaultdict(list)
        """Per channel, the server's answers to its subscribes (for a failure's report)."""
        self._refs: dict[str, int] = {}
        self._ref_numbers = itertools.count(1)
        self._retries: set[asyncio.Task[None]] = set()
        self._ws: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @property
    def reconnects(self) -> int:
        return max(0, self.connections - 1)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def add(self, *channels: str) -> None:
        for channel in channels:
            self.last.setdefault(channel, 0)
            if self._ws is not None:
                with contextlib.suppress(websockets.ConnectionClosed):
                    await self._subscribe(self._ws, channel)

    async def _subscribe(self, ws: Any, channel: str) -> None:
        self.floor[channel] = self.last[channel]
        self._refs[channel] = ref = next(self._ref_numbers)
        frame = {"op": "subscribe", "channel": channel, "since": str(self.last[channel])}
        await ws.send(json.dumps({**frame, "ref": ref}))

    async def _subscribe_again(self, ws: Any, channel: str) -> None:
        """A subscribe refused while a store is down: ask again, as the error says."""
        self.subscribe_retries += 1
        await asyncio.sleep(0.5)
        with contextlib.suppress(websockets.ConnectionClosed):
            if self._ws is ws:
                await self._subscribe(ws, channel)

    async def _run(self) -> None:
        while not self._stop.is_set():
            servers = self._alive()
            server = servers[self._index % len(servers)]
            try:
                async with websockets.connect(
                    f"{server.ws_url}?token={self.token}", open_timeout=10
                ) as ws:
                    self.connections += 1
                    self._ws = ws
                    for channel in list(self.last):
                        await self._subscribe(ws, channel)
                    async for message in ws:
                        self._on_frame(json.loads(message))
            except (OSError, TimeoutError, websockets.WebSocketException):
                pass
            finally:
                self._ws = None
            self._index += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 0.2)

    def _on_frame(self, frame: dict[str, Any]) -> None:
        kind, channel = frame.get("type"), frame.get("channel", "")
        if kind in ("reply", "error"):
            named = next((c for c, r in self._refs.items() if r == frame.get("ref")), "?")
            self.answers[named].append(f"{kind}:{frame.get('code') or frame.get('ref')}")
        if kind == "event" and frame.get("event") in (
            "order.created",
            "order.status",
            "chat.message",
        ):
            seq = int(frame["id"])
            if seq <= self.floor[channel]:
                self.problems.append(f"{self.name}: {channel} id {seq} after {self.floor[channel]}")
                return
            self.floor[channel] = self.last[channel] = seq
            self.received[channel].append(seq)
        elif (
            kind == "error" and frame.get("code") == "database_unavailable" and self._ws is not None
        ):
            channel = next((c for c, r in self._refs.items() if r == frame.get("ref")), None)
            if channel is None:
                self.problems.append(f"{self.name}: {frame}")
                return
            retry = asyncio.create_task(self._subscribe_again(self._ws, channel))
            self._retries.add(retry)
            retry.add_done_callback(self._retries.discard)
        elif kind in ("reset", "unsubscribed", "error"):
            self.problems.append(f"{self.name}: {frame}")

    async def stop(self) -> None:
        self._stop.set()
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


def answered(response: httpx.Response, status: int) -> dict[str, Any]:
    """The JSON body, after checking the status; a failure shows every attempt made."""
    attempts = response.extensions.get("attempts")
    assert response.status_code == status, (response.text, attempts)
    body: dict[str, Any] = response.json()
    return body
