"""Demo data for the embedded default: a small city with washers, customers and orders.

Loaded by `washline run` into an empty database, through the same services the API uses, so
the demo orders have real event histories and outbox rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.principal import Principal
from app.schemas.catalog import PackageIn, VehicleIn
from app.schemas.orders import OrderIn
from app.services import accounts, catalog, order_transitions, orders
from app.settings import Settings
from domain.orders import OrderStatus
from domain.pricing import VehicleSize
from domain.roles import Actor, Role
from persistence.accounts import count_users
from persistence.models import User
from persistence.washers import profile_of

ADMIN_EMAIL = "admin@washline.test"
ADMIN_PASSWORD = "washline-admin"
DEMO_PASSWORD = "washline-demo"
CITY_CENTER = (30.2672, -97.7431)  # Austin, TX

PACKAGES = [
    PackageIn(
        name="Express Exterior",
        base_price_cents=2900,
        duration_minutes=30,
        description="Hand wash, rinse and dry of the outside.",
    ),
    PackageIn(
        name="Interior Refresh",
        base_price_cents=4900,
        duration_minutes=45,
        description="Vacuum, wipe-down and windows inside.",
    ),
    PackageIn(
        name="Full Detail",
        base_price_cents=12900,
        duration_minutes=150,
        description="Exterior, interior, clay bar and wax.",
    ),
]
WASHERS = [
    ("Ana Ruiz", 30.2700, -97.7500),
    ("Ben Carter", 30.2550, -97.7400),
    ("Chen Wei", 30.2850, -97.7350),
    ("Dara Okafor", 30.2620, -97.7600),
    ("Eli Novak", 30.2750, -97.7250),
]
CUSTOMERS = [
    ("Fay Lund", "Subaru", "Outback", "TX-FAY1", VehicleSize.MEDIUM),
    ("Gus Moreno", "Ford", "F-150", "TX-GUS2", VehicleSize.LARGE),
    ("Hana Ito", "Honda", "Fit", "TX-HAN3", VehicleSize.SMALL),
]
# The path each demo order takes after booking: one order per list, in these states.
ORDER_PATHS: list[list[OrderStatus]] = [
    [],
    [OrderStatus.ASSIGNED],
    [OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE],
    [OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE, OrderStatus.ARRIVED, OrderStatus.IN_PROGRESS],
    [
        OrderStatus.ASSIGNED,
        OrderStatus.EN_ROUTE,
        OrderStatus.ARRIVED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.COMPLETED,
    ],
    [OrderStatus.CANCELLED],
]


@dataclass
class DemoSummary:
    admin_email: str
    admin_password: str
    created: bool


def _principal(user: User) -> Principal:
    return Principal(
        id=user.id, role=Role(user.role), email=user.email, expires_at=time.time() + 60
    )


async def load_demo_data(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> DemoSummary:
    """Fill an empty database; leave one that already has users alone."""
    summary = DemoSummary(ADMIN_EMAIL, ADMIN_PASSWORD, created=False)
    async with session_factory() as session:
        if await count_users(session):
            return summary
        admin = await accounts.create_user(
            session,
            settings,
            email=ADMIN_EMAIL,
            password=ADMIN_PASSWORD,
            full_name="Washline Admin",
            role=Role.ADMIN,
        )
        packages = [await catalog.create_package(session, p) for p in PACKAGES]
        now = datetime.now(UTC)
        washers: list[User] = []
        for index, (name, lat, lng) in enumerate(WASHERS, start=1):
            washer = await accounts.create_user(
                session,
                settings,
                email=f"washer{index}@washline.test",
                password=DEMO_PASSWORD,
                full_name=name,
                role=Role.WASHER,
                is_available=True,
            )
            profile = await profile_of(session, washer.id)
            assert profile is not None
            profile.last_lat, profile.last_lng, profile.last_fix_at = lat, lng, now
            washers.append(washer)
        await session.commit()
        customers = []
        for index, (name, make, model, plate, size) in enumerate(CUSTOMERS, start=1):
            customer = await accounts.create_user(
                session,
                settings,
                email=f"customer{index}@washline.test",
                password=DEMO_PASSWORD,
                full_name=name,
                role=Role.CUSTOMER,
            )
            vehicle = await catalog.create_vehicle(
                session, customer.id, VehicleIn(make=make, model=model, plate=plate, size=size)
            )
            customers.append((customer, vehicle))
        for index, path in enumerate(ORDER_PATHS):
            customer, vehicle = customers[index % len(customers)]
            washer = washers[index % len(washers)]
            order = await orders.create_order(
                session,
                _principal(customer),
                OrderIn(
                    vehicle_id=vehicle.id,
                    package_id=packages[index % len(packages)].id,
                    address=f"{100 + index * 7} Congress Ave, Austin",
                    lat=CITY_CENTER[0] + 0.004 * (index - 3),
                    lng=CITY_CENTER[1] + 0.003 * (2 - index),
                    scheduled_for=now + timedelta(hours=index),
                ),
                area=settings.service_area,
                max_open_orders=settings.max_open_orders_per_customer,
            )
            for status in path:
                assign_to: int | None = None
                if status is OrderStatus.CANCELLED:
                    actor = Actor(user_id=customer.id, role=Role.CUSTOMER)
                elif status is OrderStatus.ASSIGNED:  # dispatched by hand, as an admin would
                    actor, assign_to = Actor(user_id=admin.id, role=Role.ADMIN), washer.id
                else:
                    actor = Actor(user_id=washer.id, role=Role.WASHER)
                await order_transitions.transition_order(
                    session, actor, order.id, status, washer_id=assign_to
                )
    summary.created = True
    return summary
