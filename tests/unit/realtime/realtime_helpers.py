"""Helpers shared by the realtime unit and integration tests (no fixtures here)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from realtime.broker import Broker
from realtime.envelope import Control, Envelope
from realtime.subscriber import Item, Subscriber


class BrokerFactory(Protocol):
    def __call__(self, **options: Any) -> Awaitable[Broker]: ...


async def take(subscriber: Subscriber, count: int, within: float = 5.0) -> list[Item]:
    """The next ``count`` items; fails the test if they do not come (never times anything)."""
    items: list[Item] = []
    async with asyncio.timeout(within):
        while len(items) < count:
            items.append(await anext(subscriber))
    return items


async def take_until(subscriber: Subscriber, event: str, within: float = 5.0) -> list[Item]:
    """Items up to and including the first event named ``event`` (a marker)."""
    items: list[Item] = []
    async with asyncio.timeout(within):
        while True:
            item = await anext(subscriber)
            items.append(item)
            if isinstance(item, Envelope) and item.event == event:
                return items


def ids(items: list[Item], channel: str | None = None) -> list[str]:
    return [
        item.id
        for item in items
        if isinstance(item, Envelope) and (channel is None or item.channel == channel)
    ]


def controls(items: list[Item]) -> list[tuple[str, str]]:
    return [(item.type, item.channel) for item in items if isinstance(item, Control)]


def offsets(items: list[Item], channel: str | None = None) -> list[int]:
    return [int(value.partition("-")[0]) for value in ids(items, channel)]


class RecordingFallback:
    """A database stand-in: every event of a database-backed channel, by sequence."""

    def __init__(self) -> None:
        self.events: dict[str, list[Envelope]] = {}
        self.calls: list[tuple[str, int, int]] = []

    def record(self, envelope: Envelope) -> Envelope:
        self.events.setdefault(envelope.channel, []).append(envelope)
        return envelope

    async def events_after(self, channel: str, after: int, limit: int) -> list[Envelope]:
        self.calls.append((channel, after, limit))
        held = self.events.get(channel, [])
        return [env for env in held if int(env.id) > after][:limit]


async def publish_many(
    publish: Callable[..., Awaitable[Envelope]],
    channel: str,
    count: int,
    *,
    start_offset: int | None = None,
    event: str = "e",
) -> list[Envelope]:
    published = []
    for index in range(count):
        offset = None if start_offset is None else start_offset + index
        published.append(await publish(channel, event, {"n": index}, offset=offset))
    return published
