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
from domain.booking import OPEN_STATUSES, check_open_orders, check_service_area
from domain.errors import not_found
from domain.events import ORDER_CREATED
from domain.geo import LatLng, ServiceArea, round_coordinate
from domain.orders import OrderStatus
from domain.zones import DEFAULT_ZONE_RESOLUTION, zone_of
from persistence.bookings import booking_lookup, insert_order
from persistence.order_events import EventValues, insert_order_event
from persistence.order_reads import OrderRow

_OPEN_STATUS_VALUES = sorted(status.value for status in OPEN_STATUSES)


async def create_order(
    session: AsyncSession,
    customer: Principal,
    data: OrderIn,
    *,
    area: ServiceArea | None = None,
    max_open_orders: int | None = None,
    zone_resolution: int = DEFAULT_ZONE_RESOLUTION,
) -> OrderRow:
    """Book a wash. ``area`` and ``max_open_orders`` are the booking limits (`domain.booking`);
    the API always passes them, trusted seeding (demo data, benchmarks) may leave them out.
    The price is the quote's when ``data.quote_id`` names one the customer may use, else the
    zone's current surge (`app.services.pricing`).

    Core statements (`persistence.bookings`), not the ORM: one read for everything checked,
    the order's INSERT with RETURNING, its first event's rows, the commit. The refusals come
    in the order they always did: vehicle, package, area, open orders, quote."""
    position = LatLng(data.lat, data.lng)
    zone = zone_of(position, zone_resolution)
    found = await booking_lookup(
        session,
        customer_id=customer.id,
        vehicle_id=data.vehicle_id,
        package_id=data.package_id,
        zone=zone,
        open_statuses=_OPEN_STATUS_VALUES,
    )
    if found.vehicle_size is None:
        raise not_found("vehicle")
    if found.package_base_price_cents is None:
        raise not_found("package")
    if area is not None:
        check_service_area(area, position)
    if max_open_orders is not None:
        check_open_orders(found.open_orders, max_open_orders)
    now = datetime.now(UTC)
    current = pricing.priced_at(
        found.package_base_price_cents, found.vehicle_size, zone, found.multiplier_pct
    )
    priced, quote = await pricing.price_booking(
        session, customer.id, data.vehicle_id, data.package_id, current, data.quote_id, now
    )
    order = await insert_order(
        session,
        {
            "customer_id": customer.id,
            "vehicle_id": data.vehicle_id,
            "package_id": data.package_id,
            "status": OrderStatus.PENDING.value,
            "price_cents": priced.price_cents,
            "base_price_cents": priced.base_price_cents,
            "surge_multiplier_pct": priced.multiplier_pct,
            "zone": zone,
            "address": data.address.strip(),
            "lat": round_coordinate(data.lat),
            "lng": round_coordinate(data.lng),
            "scheduled_for": data.scheduled_for,
            "notes": data.notes,
            "last_event_seq": 1,
        },
        now,
    )
    if quote is not None:
        await pricing.spend_quote(session, quote, order.id, priced)
    await insert_order_event(
        session,
        order,
        EventValues(
            order_id=order.id,
            seq=1,
            actor_id=customer.id,
            actor_role=customer.role.value,
            from_status=None,
            to_status=OrderStatus.PENDING.value,
            washer_id=None,
            reason=None,
            occurred_at=now,
        ),
        event_type=ORDER_CREATED,
    )
    await session.commit()
    ORDERS_CREATED.inc()
    return order
