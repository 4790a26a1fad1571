"""One WebSocket connection to `/ws`: the handshake with the token as a subprotocol, a reader
that hands every frame on, and ops matched to their reply by `ref`."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from washline_client.errors import LiveError, NotConnected, RequestTimeout

PROTOCOL = "washline.v1"
TOKEN_PREFIX = "bearer."
Frame = dict[str, Any]


def ws_url(base_url: str) -> str:
    """`http(s)://host` -> `ws(s)://host/ws`."""
    scheme, _, rest = base_url.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws"


class WsLink:
    """An open socket. `run()` reads until it closes; `request()` sends an op and waits."""

    def __init__(self, connection: ClientConnection, on_frame: Callable[[Frame], None]) -> None:
        self.connection = connection
        self._on_frame = on_frame
        self._refs = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Frame]] = {}

    @classmethod
    async def open(
        cls, url: str, token: str, on_frame: Callable[[Frame], None], timeout: float
    ) -> WsLink:
        connection = await websockets.connect(
            url,
            subprotocols=[PROTOCOL, TOKEN_PREFIX + token],  # type: ignore[list-item]
            open_timeout=timeout,
            max_size=None,
        )
        return cls(connection, on_frame)

    @property
    def close_code(self) -> int | None:
        return self.connection.close_code

    @property
    def close_reason(self) -> str:
        return self.connection.close_reason or ""

    async def run(self) -> None:
        """Read frames until the socket closes (normally or not)."""
        try:
            async for message in self.connection:
                try:
                    frame = json.loads(message)
                except ValueError:
                    continue
                if not isinstance(frame, dict):
                    continue
                ref = frame.get("ref")
                future = self._pending.pop(ref, None) if isinstance(ref, int) else None
                if future is not None and frame.get("type") in ("reply", "error"):
                    if not future.done():
                        future.set_result(frame)
                    continue
                self._on_frame(frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(NotConnected("the connection closed before the reply"))
            self._pending.clear()

    async def request(self, op: str, timeout: float, **fields: Any) -> Frame:
        """The op's reply; `LiveError` for an `error` frame, `RequestTimeout` for silence."""
        ref = next(self._refs)
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._pending[ref] = future
        try:
            await self.connection.send(json.dumps({"op": op, "ref": ref, **fields}))
        except websockets.ConnectionClosed:
            self._pending.pop(ref, None)
            raise NotConnected("the connection is closed") from None
        try:
            frame = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise RequestTimeout(f"live op {op!r}", timeout) from None
        finally:
            self._pending.pop(ref, None)
        if frame.get("type") == "error":
            raise LiveError(str(frame.get("code")), str(frame.get("message", "")), frame)
        return frame

    async def close(self) -> None:
        await self.connection.close()
