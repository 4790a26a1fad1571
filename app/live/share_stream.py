"""The live stream of a share link: `GET /api/share/{token}/events` (SSE, no account).

A recipient gets the order's status and the washer's position as the order's own streams
carry them, cut down to what `domain.sharing` lets a recipient see. The stream opens with a
`share.snapshot` (the same object as `GET /api/share/{token}`), subscribes to the order from
the event the snapshot was read at (so no change falls between the two) and to its track,
then sends `share.status` and `share.location`. A reconnect simply starts again from a
fresh snapshot, so no resume position is needed.

The link is re-checked every `RECHECK_SECONDS` (revoked, expired) and the stream ends with
an `end` event (`share_ended`) when it stops working or the order finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from sse_starlette import ServerSentEvent

from app.lifecycle import Runtime
from app.schemas.shares import SharedPosition, SharedStatus
from app.services import shares
from domain.channels import order_channel, track_channel
from domain.errors import Refusal
from domain.events import ORDER_CREATED, ORDER_LOCATION, ORDER_STATUS
from domain.orders import OrderStatus
from domain.sharing import ENDED_STATUSES, SHARE_ENDED
from realtime.close_codes import SERVICE_RESTART
from realtime.envelope import Envelope
from realtime.subscriber import Subscriber

SNAPSHOT = "share.snapshot"
STATUS = "share.status"
LOCATION = "share.location"
END = "end"
SHARE_EVENTS = (SNAPSHOT, STATUS, LOCATION)
RECHECK_SECONDS = 5.0
"""How often an open stream asks whether its link still works (revoked or expired)."""
RETRY_MILLISECONDS = 2000
_POSITION_FIELDS = ("lat", "lng", "ts", "heading", "speed", "distance_m", "eta_seconds")


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _ended(message: str) -> ServerSentEvent:
    body = {"type": "error", "code": SHARE_ENDED, "message": message}
    return ServerSentEvent(data=_json(body), event=END)


def shared_location(data: dict[str, Any]) -> SharedPosition:
    """An `order.location` as a recipient sees it: position and ETA, no washer or order id."""
    return msgspec.convert(
        {key: data.get(key) for key in _POSITION_FIELDS}, SharedPosition, strict=False
    )


class ShareStream:
    """One recipient's stream; `events()` is what the SSE response sends."""

    def __init__(self, runtime: Runtime, token: str, order_id: int) -> None:
        self.runtime = runtime
        self.token = token
        self.order_id = order_id
        self.subscriber = Subscriber(
            max_queue=runtime.settings.outbound_queue_size, transport="sse", name="share"
        )

    async def _snapshot(self) -> tuple[str, int]:
        """The snapshot's JSON and the order's event position it was read at."""
        async with self.runtime.session_factory() as session:
            share = await shares.resolve(session, self.token)
            view = await shares.shared_order(session, share, self.runtime.settings.service_area)
            return _json(view), share.order.last_event_seq

    async def _still_alive(self) -> bool:
        try:
            async with self.runtime.session_factory() as session:
                await shares.resolve(session, self.token)
        except Refusal:
            return False
        return True

    @staticmethod
    def _status(data: dict[str, Any]) -> SharedStatus:
        """An `order.status` as a recipient sees it: the status and when, no one's name."""
        return SharedStatus(status=OrderStatus(data["status"]), occurred_at=data.get("occurred_at"))

    async def events(self) -> AsyncIterator[ServerSentEvent]:
        hub = self.runtime.hub
        on_drain = asyncio.ensure_future(self._close_on_drain())
        try:
            try:
                snapshot, seq = await self._snapshot()
            except Refusal:
                yield _ended("this share link does not exist or has expired")
                return
            await hub.subscribe(self.subscriber, order_channel(self.order_id).name, str(seq))
            await hub.subscribe(self.subscriber, track_channel(self.order_id).name)
            yield ServerSentEvent(data=snapshot, event=SNAPSHOT, retry=RETRY_MILLISECONDS)
            async for event in self._follow():
                yield event
        finally:
            on_drain.cancel()
            await hub.disconnect(self.subscriber)

    async def _follow(self) -> AsyncIterator[ServerSentEvent]:
        items = aiter(self.subscriber)
        while True:
            try:
                item = await asyncio.wait_for(anext(items), RECHECK_SECONDS)
            except TimeoutError:
                if not await self._still_alive():
                    yield _ended("the share link was revoked or has expired")
                    return
                continue
            except StopAsyncIteration:
                return  # closed: draining or too slow; the browser reconnects
            if not isinstance(item, Envelope):
                continue
            if item.event in (ORDER_STATUS, ORDER_CREATED):
                status = self._status(item.data)
                yield ServerSentEvent(data=_json(status), event=STATUS)
                if status.status in ENDED_STATUSES:
                    yield _ended(f"the order is {status.status.value}")
                    return
            elif item.event == ORDER_LOCATION:
                yield ServerSentEvent(data=_json(shared_location(item.data)), event=LOCATION)

    async def _close_on_drain(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self.runtime.drained.wait()
            self.subscriber.close(SERVICE_RESTART, "server restarting")
