"""The REST benchmark's data set: customers, washers, orders with their event history, chat
and notifications, written in bulk through the app's own tables (PostgreSQL or SQLite).

The shape is fixed so that every request in the mix has something real to act on: each
customer has `ORDERS_PER_CUSTOMER` orders (closed ones, one pending that a cancel may
consume), and the first `washers` customers also have one order en route with "their" washer,
which carries a chat and is what washers' location batches track.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.geo import LatLng
from domain.orders import OrderStatus
from domain.roles import Role
from domain.zones import DEFAULT_ZONE_RESOLUTION, zone_of
from persistence.database import create_engine
from persistence.models import (
    ChatMessage,
    Notification,
    Order,
    OrderEvent,
    ServicePackage,
    User,
    Vehicle,
    WasherProfile,
)

ORDERS_PER_CUSTOMER = 5
CHAT_PER_ACTIVE_ORDER = 20
NOTIFICATIONS_PER_CUSTOMER = 10
PENDING_EVERY = 10
"""One customer in this many has an order waiting for a washer (the dispatch backlog)."""
DESTINATION = (30.2672, -97.7431)
DESTINATION_ZONE = zone_of(LatLng(*DESTINATION), DEFAULT_ZONE_RESOLUTION)
"""Every booking records its demand zone (`app.services.orders.create_order`); so do these."""
PASSWORD = "bench-password"

_HISTORY: dict[OrderStatus, tuple[OrderStatus, ...]] = {
    OrderStatus.PENDING: (OrderStatus.PENDING,),
    OrderStatus.EN_ROUTE: (OrderStatus.PENDING, OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE),
    OrderStatus.CANCELLED: (OrderStatus.PENDING, OrderStatus.CANCELLED),
    OrderStatus.COMPLETED: (
        OrderStatus.PENDING,
        OrderStatus.ASSIGNED,
        OrderStatus.EN_ROUTE,
        OrderStatus.ARRIVED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.COMPLETED,
    ),
}


@dataclass(frozen=True)
class SeedShape:
    customers: int
    washers: int

    @property
    def orders(self) -> int:
        return self.customers * ORDERS_PER_CUSTOMER

    def statuses(self, customer_index: int) -> list[OrderStatus]:
        """The statuses of one customer's orders, oldest first."""
        closed = [OrderStatus.COMPLETED, OrderStatus.COMPLETED, OrderStatus.CANCELLED]
        middle = OrderStatus.EN_ROUTE if customer_index < self.washers else OrderStatus.COMPLETED
        waiting = customer_index % PENDING_EVERY == 0
        return [*closed, middle, OrderStatus.PENDING if waiting else OrderStatus.COMPLETED]

    def pending(self) -> int:
        return len(range(0, self.customers, PENDING_EVERY))

    def events(self) -> int:
        return sum(len(_HISTORY[s]) for c in range(self.customers) for s in self.statuses(c))

    def chat_messages(self) -> int:
        return min(self.customers, self.washers) * CHAT_PER_ACTIVE_ORDER

    def notifications(self) -> int:
        return self.customers * NOTIFICATIONS_PER_CUSTOMER


@dataclass
class Seeded:
    """The ids the load generator needs (JSON-serialisable)."""

    admin_id: int = 0
    customers: list[int] = field(default_factory=list)
    washers: list[int] = field(default_factory=list)
    vehicles: list[int] = field(default_factory=list)
    package_id: int = 0
    orders: list[int] = field(default_factory=list)
    orders_of: dict[int, list[int]] = field(default_factory=dict)
    pending: list[list[int]] = field(default_factory=list)
    """[customer id, order id] of every pending order: each may be cancelled once."""
    active: list[list[int]] = field(default_factory=list)
    """[customer id, washer id, order id] of every order en route."""

    def as_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "orders_of"}
        data["orders_by_customer"] = [self.orders_of[c] for c in self.customers]
        return data


async def _insert(conn: AsyncConnection, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    result = await conn.execute(
        insert(model).returning(model.id, sort_by_parameter_order=True), rows
    )
    return [int(r[0]) for r in result.all()]


async def seed(database_url: str, shape: SeedShape, password_hash: str) -> Seeded:
    """Write the data set into an empty, migrated database; returns the ids."""
    engine = create_engine(database_url)
    out = Seeded()
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            out.admin_id = (
                await _insert(conn, User, [_user("admin@bench.test", Role.ADMIN, password_hash)])
            )[0]
            out.customers = await _insert(
                conn,
                User,
                [
                    _user(f"c{n}@bench.test", Role.CUSTOMER, password_hash)
                    for n in range(shape.customers)
                ],
            )
            out.washers = await _insert(
                conn,
                User,
                [
                    _user(f"w{n}@bench.test", Role.WASHER, password_hash)
                    for n in range(shape.washers)
                ],
            )
            await _insert(
                conn,
                WasherProfile,
                [{"user_id": w, "is_available": False} for w in out.washers],
            )
            out.package_id = (
                await _insert(
                    conn,
                    ServicePackage,
                    [{"name": "Bench wash", "base_price_cents": 2500, "duration_minutes": 30}],
                )
            )[0]
            out.vehicles = await _insert(
                conn,
                Vehicle,
                [
                    {
                        "owner_id": c,
                        "make": "VW",
                        "model": "Golf",
                        "plate": f"B{i}",
                        "size": "medium",
                    }
                    for i, c in enumerate(out.customers)
                ],
            )
            await _orders(conn, shape, out, now)
            await _chat_and_notifications(conn, out, now)
    finally:
        await engine.dispose()
    return out


def _user(email: str, role: Role, password_hash: str) -> dict[str, Any]:
    return {
        "email": email,
        "password_hash": password_hash,
        "full_name": email.split("@")[0],
        "role": role.value,
        "is_active": True,
    }


async def _orders(conn: AsyncConnection, shape: SeedShape, out: Seeded, now: datetime) -> None:
    rows: list[dict[str, Any]] = []
    owners: list[tuple[int, int, OrderStatus, int | None]] = []
    for i, customer in enumerate(out.customers):
        for status in shape.statuses(i):
            washer = None if status is OrderStatus.PENDING else out.washers[i % len(out.washers)]
            if status is OrderStatus.CANCELLED:
                washer = None
            history = _HISTORY[status]
            rows.append(
                {
                    "customer_id": customer,
                    "vehicle_id": out.vehicles[i],
                    "package_id": out.package_id,
                    "washer_id": washer,
                    "status": status.value,
                    "price_cents": 2500,
                    "address": f"{i} Bench St",
                    "lat": DESTINATION[0],
                    "lng": DESTINATION[1],
                    "zone": DESTINATION_ZONE,
                    "assigned_at": now if washer else None,
                    "last_event_seq": len(history),
                    "version": len(history),
                }
            )
            owners.append((i, customer, status, washer))
    out.orders = await _insert(conn, Order, rows)
    events: list[dict[str, Any]] = []
    for order_id, (_, customer, status, washer) in zip(out.orders, owners, strict=True):
        out.orders_of.setdefault(customer, []).append(order_id)
        if status is OrderStatus.PENDING:
            out.pending.append([customer, order_id])
        elif status is OrderStatus.EN_ROUTE and washer is not None:
            out.active.append([customer, washer, order_id])
        previous: OrderStatus | None = None
        for seq, step in enumerate(_HISTORY[status], start=1):
            events.append(
                {
                    "order_id": order_id,
                    "seq": seq,
                    "actor_id": customer,
                    "actor_role": Role.CUSTOMER.value,
                    "from_status": previous.value if previous else None,
                    "to_status": step.value,
                    "washer_id": washer if step is not OrderStatus.PENDING else None,
                    "occurred_at": now - timedelta(minutes=10 - seq),
                }
            )
            previous = step
    await _insert(conn, OrderEvent, events)


async def _chat_and_notifications(conn: AsyncConnection, out: Seeded, now: datetime) -> None:
    chat = [
        {
            "order_id": order_id,
            "seq": seq,
            "sender_id": customer if seq % 2 else washer,
            "sender_role": (Role.CUSTOMER if seq % 2 else Role.WASHER).value,
            "body": f"message {seq}",
            "sent_at": now - timedelta(seconds=100 - seq),
        }
        for customer, washer, order_id in out.active
        for seq in range(1, CHAT_PER_ACTIVE_ORDER + 1)
    ]
    await _insert(conn, ChatMessage, chat)
    notes = [
        {
            "user_id": customer,
            "kind": "order.status",
            "payload": {"order_id": out.orders_of[customer][k % ORDERS_PER_CUSTOMER], "n": k},
            "created_at": now - timedelta(minutes=k),
        }
        for customer in out.customers
        for k in range(NOTIFICATIONS_PER_CUSTOMER)
    ]
    await _insert(conn, Notification, notes)
