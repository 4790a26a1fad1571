"""Booking an order: the customer's vehicle and package, the booking limits, the price
(a quote's or the zone's surge) and the first history event, in one transaction.

Reading orders lives in `app.services.order_views`, moving them in
`app.services.order_transitions`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.metrics import ORDERS_CREATED
from app.principal import Principal
from app.schemas.orders import OrderIn
from app.services import pricing
from app.services.catalog import own_vehicle
from domain.booking import OPEN_STATUSES, check_open_orders, check_service_area
from domain.events import ORDER_CREATED
from domain.geo import LatLng, ServiceArea, round_coordinate
from domain.orders import OrderStatus
from domain.zones import DEFAULT_ZONE_RESOLUTION, zone_of
from persistence.models import Order
from persistence.order_events import record_order_event
from persistence.orders import count_customer_orders


async def open_order_count(session: AsyncSession, customer_id: int) -> int:
    """How many of the customer's orders count against `MAX_OPEN_ORDERS_PER_CUSTOMER`."""
    return await count_customer_orders(session, customer_id, OPEN_STATUSES)


async def create_order(
    session: AsyncSession,
    customer: Principal,
    data: OrderIn,
    *,
    area: ServiceArea | None = None,
    max_open_orders: int | None = None,
    zone_resolution: int = DEFAULT_ZONE_RESOLUTION,
) -> Order:
    """Book a wash. ``area`` and ``max_open_orders`` are the booking limits (`domain.booking`);
    the API always passes them, trusted seeding (demo data, benchmarks) may leave them out.
    The price is the quote's when ``data.quote_id`` names one the customer may use, else the
    zone's current surge (`app.services.pricing`)."""
    vehicle = await own_vehicle(session, customer.id, data.vehicle_id)
    package = await pricing.active_package(session, data.package_id)
    if area is not None:
        check_service_area(area, LatLng(data.lat, data.lng))
    if max_open_orders is not None:
        check_open_orders(await open_order_count(session, customer.id), max_open_orders)
    now = datetime.now(UTC)
    zone = zone_of(LatLng(data.lat, data.lng), zone_resolution)
    priced, quote = await pricing.price_booking(
        session, customer.id, vehicle, package, zone, data.quote_id, now
    )
    order = Order(
        customer_id=customer.id,
        vehicle_id=vehicle.id,
        package_id=package.id,
        status=OrderStatus.PENDING.value,
        price_cents=priced.price_cents,
        base_price_cents=priced.base_price_cents,
        surge_multiplier_pct=priced.multiplier_pct,
        zone=zone,
        address=data.address.strip(),
        lat=round_coordinate(data.lat),
        lng=round_coordinate(data.lng),
        scheduled_for=data.scheduled_for,
        notes=data.notes,
        last_event_seq=0,
    )
    session.add(order)
    await session.flush()
    if quote is not None:
        await pricing.spend_quote(session, quote, order.id, priced)
    await record_order_event(
        session,
        order,
        event_type=ORDER_CREATED,
        from_status=None,
        to_status=OrderStatus.PENDING.value,
        actor_id=customer.id,
        actor_role=customer.role.value,
        reason=None,
        now=now,
    )
    await session.commit()
    ORDERS_CREATED.inc()
    return order
