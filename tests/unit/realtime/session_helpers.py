"""Stand-ins and helpers for the live-session tests (fixtures are in conftest.py): a
principal, two kinds of transport, an order book for the facts, and a session context."""

from __future__ import annotations

import json
import time
from typing import Any

import msgspec

from domain.orders import OrderFacts, OrderStatus
from domain.roles import Actor, Role
from realtime.frames import RawFrame
from realtime.hub import Hub
from realtime.presence import MemoryPresence, PresenceTracker
from realtime.session import LiveSession
from realtime.session_context import OpHandler, SessionContext, SessionLimits
from realtime.sessions import LiveSessions
from realtime.subscriber import Item

CUSTOMER, WASHER, OTHER_WASHER = 11, 21, 22
ORDER = 42


class Principal(msgspec.Struct, frozen=True):
    id: int
    role: Role
    expires_at: float
    session_id: str | None = None
    lacks_second_factor: bool = False

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.id, role=self.role)


class Socketish:
    """Stands for a two-way transport (the WebSocket); the session never touches I/O."""

    name = "ws"
    two_way = True


class Streamish:
    """Stands for a one-way transport (SSE)."""

    name = "sse"
    two_way = False


class OrderBook:
    """The facts source: what the database would say about each order."""

    def __init__(self) -> None:
        self.orders: dict[int, OrderFacts] = {}
        self.reads = 0

    async def order_facts(self, order_id: int) -> OrderFacts | None:
        self.reads += 1
        return self.orders.get(order_id)


def facts(status: OrderStatus, washer_id: int | None = WASHER) -> OrderFacts:
    return OrderFacts(ORDER, status, CUSTOMER, washer_id)


def make_context(
    hub: Hub,
    book: OrderBook,
    sessions: LiveSessions,
    *,
    ops_per_second: int = 50,
    handlers: dict[type, OpHandler] | None = None,
) -> SessionContext:
    return SessionContext(
        hub=hub,
        presence=PresenceTracker(MemoryPresence()),
        facts=book,
        sessions=sessions,
        limits=SessionLimits(
            max_queue=100, max_subscriptions=3, ops_per_second=ops_per_second, max_frame_bytes=512
        ),
        verify_token=lambda token: (
            Principal(WASHER, Role.WASHER, time.time() + 600) if token == "fresh" else None
        ),
        op_handlers=handlers or {},
    )


async def opened(
    context: SessionContext, user: int, role: Role, transport: Any = None, ttl: float = 600
) -> LiveSession:
    principal = Principal(user, role, time.time() + ttl)
    session = LiveSession(context, transport or Socketish(), principal)
    await session.open()
    return session


def drain(session: LiveSession) -> list[Item]:
    items: list[Item] = []
    while (item := session.subscriber.get_nowait()) is not None:
        items.append(item)
    return items


def frames(items: list[Item]) -> list[dict[str, Any]]:
    return [json.loads(item.ws_frame) for item in items if isinstance(item, RawFrame)]
