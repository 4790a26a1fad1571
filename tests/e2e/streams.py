"""Helpers for end-to-end tests of live streams: SSE readers in the background, bounded
polling, and the exactly-once-in-order check every delivery test makes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from tests.support.journey import move
from tests.support.live import DEFAULT_TIMEOUT, LiveClient, SseReader

ORDER_JOURNEY = ("assigned", "en_route", "arrived", "in_progress", "completed")
"""Every status after `pending`, in the order a washer drives them."""


async def advance(
    api: httpx.AsyncClient,
    admin_headers: dict[str, str],
    washer: Any,
    order_id: int,
    status: str,
) -> None:
    """One step of ORDER_JOURNEY: an admin assigns the washer, who drives the rest."""
    if status == "assigned":
        await move(api, admin_headers, order_id, status, washer_id=washer.id)
    else:
        await move(api, washer.headers, order_id, status)


@contextlib.asynccontextmanager
async def sse_stream(
    base_url: str, url: str, headers: dict[str, str]
) -> AsyncIterator[tuple[SseReader, asyncio.Task[None]]]:
    """An SSE reader running in the background (its own client: a quiet stream must not hit
    a read timeout); cancelled on exit."""
    reader = SseReader()
    timeout = httpx.Timeout(DEFAULT_TIMEOUT, read=None)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as client:
        task = asyncio.create_task(reader.run(client, url, headers))
        try:
            yield reader, task
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def eventually(
    probe: Callable[[], Awaitable[bool]], timeout: float = DEFAULT_TIMEOUT, every: float = 0.1
) -> None:
    """Poll `probe` until it is true; fail after `timeout` seconds."""

    async def poll() -> None:
        while not await probe():  # noqa: ASYNC110 - polls another process, no event to wait on
            await asyncio.sleep(every)

    await asyncio.wait_for(poll(), timeout)


async def settle(client: LiveClient) -> None:
    """A ping round trip: every frame the server queued before the reply has arrived."""
    reply = await client.request("ping")
    assert (reply.get("type"), reply.get("ok")) == ("reply", True), reply


async def closed_with(
    client: LiveClient, timeout: float = DEFAULT_TIMEOUT
) -> tuple[int | None, str | None]:
    """Wait for the server to close `client`; its close code and reason."""
    await asyncio.wait_for(client.connection.wait_closed(), timeout)
    return client.connection.close_code, client.connection.close_reason


def event_ids(events: list[dict[str, Any]]) -> list[str]:
    return [str(e["id"]) for e in events]


def sse_ids(reader: SseReader, channel: str) -> list[str]:
    """Ids of the events of `channel` an SSE reader got (its data carry the envelope)."""
    return [str(data["id"]) for _, _, data in reader.events if data.get("channel") == channel]


async def wait_sse(reader: SseReader, channel: str, count: int, timeout: float = 20.0) -> None:
    async def enough() -> bool:
        if reader.ended.is_set() and len(sse_ids(reader, channel)) < count:
            raise ConnectionError(f"stream ended with {sse_ids(reader, channel)}")
        return len(sse_ids(reader, channel)) >= count

    await eventually(enough, timeout)
