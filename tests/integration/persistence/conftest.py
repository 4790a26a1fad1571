"""Query tests run against BOTH back-ends: a migrated SQLite file and a real PostgreSQL.

Each back-end is migrated once per session with Alembic; every test starts from empty
tables and gets a session on them, plus `Rows`, which adds the rows a query needs straight
through the ORM (no service, so a query is tested on its own).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders import OrderStatus
from persistence.database import create_engine, create_session_factory
from persistence.models import Order, ServicePackage, User, Vehicle, WasherProfile
from tests.support.database import truncate_all


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    if database_url.startswith("postgresql"):
        await truncate_all(database_url)
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as opened:
            yield opened
    finally:
        await engine.dispose()


NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class Rows:
    """Rows added straight through the ORM and flushed, so each has its id."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._n = 0

    async def _add(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def user(self, role: str = "customer", *, active: bool = True) -> User:
        self._n += 1
        user = User(
            email=f"{role}{self._n}@example.test",
            password_hash="x",
            full_name=f"{role} {self._n}",
            role=role,
            is_active=active,
        )
        return await self._add(user)

    async def washer(self, *, available: bool = True, active: bool = True) -> User:
        user = await self.user("washer", active=active)
        await self._add(WasherProfile(user_id=user.id, is_available=available))
        return user

    async def package(self, name: str | None = None, price: int = 2000) -> ServicePackage:
        self._n += 1
        package = ServicePackage(
            name=name or f"package {self._n}",
            description="",
            base_price_cents=price,
            duration_minutes=30,
            is_active=True,
        )
        return await self._add(package)

    async def vehicle(self, owner: User) -> Vehicle:
        self._n += 1
        vehicle = Vehicle(
            owner_id=owner.id, make="VW", model="Golf", plate=f"B-{self._n}", size="medium"
        )
        return await self._add(vehicle)

    async def order(
        self,
        customer: User,
        *,
        status: OrderStatus = OrderStatus.PENDING,
        washer: User | None = None,
        package: ServicePackage | None = None,
        created_at: datetime = NOW,
        **fields: Any,
    ) -> Order:
        package = package or await self.package()
        vehicle = await self.vehicle(customer)
        order = Order(
            customer_id=customer.id,
            vehicle_id=vehicle.id,
            package_id=package.id,
            washer_id=washer.id if washer else None,
            status=status.value,
            price_cents=fields.pop("price_cents", 2000),
            address="1 Main Street",
            lat=fields.pop("lat", 30.27),
            lng=fields.pop("lng", -97.74),
            last_event_seq=0,
            created_at=created_at,
            **fields,
        )
        return await self._add(order)


@pytest.fixture
def rows(session: AsyncSession) -> Rows:
    return Rows(session)
