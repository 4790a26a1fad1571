"""API tests run against BOTH back-ends: a migrated SQLite file and a real PostgreSQL.

Each back-end is migrated once per session with Alembic (the only way the schema is made);
every test then starts from empty tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient, Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.settings import Settings
from domain.roles import Role
from persistence.database import create_engine, create_session_factory
from persistence.models import ServicePackage
from tests.support.api import ApiUser, expect, login, test_settings
from tests.support.database import PASSWORD, add_user, truncate_all

try:
    from persistence.models import DispatchOffer
except ImportError:  # a tree from before dispatch offers: any washer may accept
    DispatchOffer = None  # type: ignore[assignment,misc]


@pytest.fixture
async def settings(database_url: str) -> Settings:
    if database_url.startswith("postgresql"):
        await truncate_all(database_url)
    return test_settings(database_url)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def api(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as client:
        yield client


MakeUser = Callable[..., Awaitable[ApiUser]]


@pytest.fixture
def make_user(api: AsyncTestClient[Litestar], app: Litestar, settings: Settings) -> MakeUser:
    """Create a user of any role directly, then log in through the API."""
    counter = {"n": 0}

    async def make(role: Role = Role.CUSTOMER, name: str | None = None) -> ApiUser:
        counter["n"] += 1
        email = f"{name or role.value}{counter['n']}@example.test"
        await add_user(settings, email, role, name or role.value.title())
        return await login(api, email, PASSWORD)

    return make


@pytest.fixture
async def customer_a(make_user: MakeUser) -> ApiUser:
    return await make_user(Role.CUSTOMER, "alice")


@pytest.fixture
async def customer_b(make_user: MakeUser) -> ApiUser:
    return await make_user(Role.CUSTOMER, "bob")


@pytest.fixture
async def washer(make_user: MakeUser) -> ApiUser:
    return await make_user(Role.WASHER, "walt")


@pytest.fixture
async def other_washer(make_user: MakeUser) -> ApiUser:
    return await make_user(Role.WASHER, "wendy")


@pytest.fixture
async def admin(make_user: MakeUser) -> ApiUser:
    return await make_user(Role.ADMIN, "ada")


# --- Catalog, vehicles and orders -----------------------------------------------------------

MakePackage = Callable[..., Awaitable[dict[str, Any]]]
MakeVehicle = Callable[..., Awaitable[dict[str, Any]]]
MakeOrder = Callable[..., Awaitable[dict[str, Any]]]
Move = Callable[..., Awaitable[Response]]
Advance = Callable[..., Awaitable[dict[str, Any]]]

HAPPY_PATH = ("assigned", "en_route", "arrived", "in_progress", "completed")
ORDER_ADDRESS = {"address": "12 Harbour Street", "lat": 52.52, "lng": 13.405}


@pytest.fixture
def make_package(settings: Settings) -> MakePackage:
    """Insert a service package straight into the database (the catalog as an admin left it),
    so order tests do not depend on the package endpoints they are not about."""
    counter = {"n": 0}

    async def make(
        name: str | None = None,
        base_price_cents: int = 2000,
        duration_minutes: int = 30,
        is_active: bool = True,
    ) -> dict[str, Any]:
        counter["n"] += 1
        engine = create_engine(settings.database_url)
        async with create_session_factory(engine)() as session:
            package = ServicePackage(
                name=name or f"Package {counter['n']}",
                description="",
                base_price_cents=base_price_cents,
                duration_minutes=duration_minutes,
                is_active=is_active,
            )
            session.add(package)
            await session.commit()
            row = {
                "id": package.id,
                "name": package.name,
                "base_price_cents": package.base_price_cents,
                "duration_minutes": package.duration_minutes,
                "is_active": package.is_active,
            }
        await engine.dispose()
        return row

    return make


@pytest.fixture
async def package(make_package: MakePackage) -> dict[str, Any]:
    """An active package with a base price of 20.00."""
    return await make_package("Exterior wash", base_price_cents=2000)


@pytest.fixture
def make_vehicle(api: AsyncTestClient[Litestar]) -> MakeVehicle:
    """Add a vehicle for a customer through the API."""

    async def make(owner: ApiUser, size: str = "medium", plate: str = "B-WL-1") -> dict[str, Any]:
        body = {"make": "Volkswagen", "model": "Golf", "plate": plate, "size": size}
        return expect(await api.post("/api/vehicles", json=body, headers=owner.headers), 201)

    return make


@pytest.fixture
async def vehicle_a(make_vehicle: MakeVehicle, customer_a: ApiUser) -> dict[str, Any]:
    """Customer A's medium-sized car."""
    return await make_vehicle(customer_a)


@pytest.fixture
def make_order(
    api: AsyncTestClient[Litestar], package: dict[str, Any], make_vehicle: MakeVehicle
) -> MakeOrder:
    """Book a wash through the API (a new vehicle of the customer's unless one is given)."""

    async def make(
        customer: ApiUser, vehicle: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        vehicle = vehicle or await make_vehicle(customer)
        body = {
            "vehicle_id": vehicle["id"],
            "package_id": package["id"],
            **ORDER_ADDRESS,
            **fields,
        }
        return expect(await api.post("/api/orders", json=body, headers=customer.headers), 201)

    return make


@pytest.fixture
def move(api: AsyncTestClient[Litestar]) -> Move:
    """POST a transition as a user; returns the raw response."""

    async def post(user: ApiUser, order_id: int, to: str, **fields: Any) -> Response:
        return await api.post(
            f"/api/orders/{order_id}/transitions", json={"to": to, **fields}, headers=user.headers
        )

    return post


Offer = Callable[..., Awaitable[None]]
OFFER_LIFETIME = timedelta(minutes=10)


@pytest.fixture
def offer(settings: Settings) -> Offer:
    """Offer a pending order to washers, as the dispatcher would after finding them nearby.

    A washer may accept only an order offered to it; the dispatcher picks washers from live
    GPS fixes, which API tests do not have, so the offers are written straight to the
    database. (Before dispatch offers existed any washer could accept: then this does
    nothing.)
    """

    async def make(order_id: int, *washers: ApiUser) -> None:
        if DispatchOffer is None:
            return
        now = datetime.now(UTC)
        engine = create_engine(settings.database_url)
        async with create_session_factory(engine)() as session:
            for washer in washers:
                session.add(
                    DispatchOffer(
                        order_id=order_id,
                        washer_id=washer.id,
                        status="open",
                        distance_m=250.0,
                        created_at=now,
                        expires_at=now + OFFER_LIFETIME,
                    )
                )
            await session.commit()
        await engine.dispose()

    return make


@pytest.fixture
def advance(move: Move, offer: Offer) -> Advance:
    """Walk an order along the happy path, as its washer (who is offered the pending order
    and accepts it), up to and including `until`."""

    async def walk(order_id: int, washer: ApiUser, until: str) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for status in HAPPY_PATH[: HAPPY_PATH.index(until) + 1]:
            if status == "assigned":
                await offer(order_id, washer)
            body = expect(await move(washer, order_id, status), 200)
        return body

    return walk


@pytest.fixture
async def order_a(
    make_order: MakeOrder, customer_a: ApiUser, vehicle_a: dict[str, Any]
) -> dict[str, Any]:
    """Customer A's pending order for `vehicle_a`."""
    return await make_order(customer_a, vehicle_a)


@pytest.fixture
async def assigned_order(
    order_a: dict[str, Any], advance: Advance, washer: ApiUser
) -> dict[str, Any]:
    """`order_a`, accepted by `washer`."""
    return await advance(order_a["id"], washer, "assigned")


@pytest.fixture
async def completed_order(
    order_a: dict[str, Any], advance: Advance, washer: ApiUser
) -> dict[str, Any]:
    """`order_a`, washed to completion by `washer`."""
    return await advance(order_a["id"], washer, "completed")


@pytest.fixture
def concurrent_api(settings: Settings) -> Callable[[], AbstractAsyncContextManager[AsyncClient]]:
    """Open (`async with concurrent_api() as client:`) a client whose requests really run
    concurrently on the test's event loop.

    `AsyncTestClient` hands each request to a blocking portal, so `asyncio.gather` over it
    runs requests one after another; races need a plain ASGI transport instead. Same database
    and secret as `api`, so the fixtures' tokens work here too. A context manager rather than
    a yielding fixture because the app's lifespan must end in the task that started it.
    """

    @asynccontextmanager
    async def open_client() -> AsyncIterator[AsyncClient]:
        app = create_app(settings)
        transport = ASGITransport(app=app)
        async with (
            app.lifespan(),
            AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            yield client

    return open_client


@pytest.fixture
def callers(
    customer_a: ApiUser,
    customer_b: ApiUser,
    washer: ApiUser,
    other_washer: ApiUser,
    admin: ApiUser,
) -> dict[str, dict[str, str]]:
    """Auth headers of the six callers an authorisation matrix distinguishes, by name.

    `owner` is customer A (who owns `vehicle_a` and `order_a`), `assigned_washer` is the
    washer the `assigned_order` / `completed_order` fixtures give the order to.
    """
    return {
        "owner": customer_a.headers,
        "other_customer": customer_b.headers,
        "assigned_washer": washer.headers,
        "other_washer": other_washer.headers,
        "admin": admin.headers,
        "anonymous": {},
    }
