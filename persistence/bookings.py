"""Booking an order as Core statements: what a booking checks, read in one round trip, and
the new order's row written with RETURNING.

Through the ORM a booking was a dozen round trips (a `get` each for the vehicle and the
package, the open-order count, the zone's multiplier, the order's INSERT, then a flush of
its event, outbox rows and notification that also UPDATEd the order for its sequence
number) and the unit of work's bookkeeping around each. The refusals and their order stay
with the caller (`app.services.orders`); these functions only read and write rows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import Order, ServicePackage, SurgeZone, Vehicle
from persistence.order_reads import ORDER_COLUMNS, OrderRow

_order = cast(Table, Order.__table__)
_vehicle = Vehicle.__table__
_package = ServicePackage.__table__
_zone = SurgeZone.__table__

_LOOKUP = select(
    select(_vehicle.c.size)
    .where(_vehicle.c.id == bindparam("vehicle_id"), _vehicle.c.owner_id == bindparam("owner_id"))
    .scalar_subquery()
    .label("vehicle_size"),
    select(_package.c.base_price_cents)
    .where(and_(_package.c.id == bindparam("package_id"), _package.c.is_active))
    .scalar_subquery()
    .label("package_base_price_cents"),
    select(func.count())
    .select_from(_order)
    .where(
        _order.c.customer_id == bindparam("owner_id"),
        _order.c.status.in_(bindparam("open_statuses", expanding=True)),
    )
    .scalar_subquery()
    .label("open_orders"),
    select(_zone.c.multiplier_pct)
    .where(_zone.c.zone == bindparam("zone"))
    .scalar_subquery()
    .label("multiplier_pct"),
)
"""Everything a booking reads before it writes, as scalar subqueries of one statement."""


@dataclass(frozen=True, slots=True)
class BookingLookup:
    """What `booking_lookup` found; None where there was nothing to find."""

    vehicle_size: str | None
    """The customer's own vehicle's size; None for a missing vehicle or someone else's."""
    package_base_price_cents: int | None
    """The package's base price; None for a missing or inactive package."""
    open_orders: int
    """The customer's orders in one of the open statuses passed."""
    multiplier_pct: int | None
    """The zone's current surge; None for a zone never priced."""


async def booking_lookup(
    session: AsyncSession,
    *,
    customer_id: int,
    vehicle_id: int,
    package_id: int,
    zone: str,
    open_statuses: Collection[str],
) -> BookingLookup:
    """The vehicle, package, open-order count and surge a booking needs, in one round trip."""
    conn = await session.connection()
    row = (
        await conn.execute(
            _LOOKUP,
            {
                "vehicle_id": vehicle_id,
                "owner_id": customer_id,
                "package_id": package_id,
                "open_statuses": list(open_statuses),
                "zone": zone,
            },
        )
    ).one()
    return BookingLookup(
        vehicle_size=row.vehicle_size,
        package_base_price_cents=row.package_base_price_cents,
        open_orders=int(row.open_orders or 0),
        multiplier_pct=None if row.multiplier_pct is None else int(row.multiplier_pct),
    )


_INSERT_ORDER = insert(_order).returning(*ORDER_COLUMNS)

BOOKED_VERSION = 2
"""The `version` a new order starts at. The ORM wrote a booking twice (the INSERT, then an
UPDATE giving it its first event's sequence number), so bookings have always answered
version 2, and clients send back the version they were given."""


async def insert_order(session: AsyncSession, values: dict[str, Any], now: datetime) -> OrderRow:
    """Insert one order from `values` (its columns, `last_event_seq` included) in the
    caller's transaction; its row as `ORDER_COLUMNS`, with the id the database gave it."""
    conn = await session.connection()
    result = await conn.execute(
        _INSERT_ORDER,
        {**values, "version": BOOKED_VERSION, "created_at": now, "updated_at": now},
    )
    return result.one()
