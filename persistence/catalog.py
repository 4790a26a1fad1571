"""Reading the catalog: a customer's vehicles and the service packages."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models import Order, ServicePackage, Vehicle


async def vehicles_of(session: AsyncSession, owner_id: int) -> list[Vehicle]:
    """The owner's vehicles, oldest first."""
    result = await session.scalars(
        select(Vehicle).where(Vehicle.owner_id == owner_id).order_by(Vehicle.id)
    )
    return list(result)


async def vehicle_has_orders(session: AsyncSession, vehicle_id: int) -> bool:
    return bool(await session.scalar(select(exists().where(Order.vehicle_id == vehicle_id))))


async def packages(session: AsyncSession, *, include_inactive: bool) -> list[ServicePackage]:
    """The packages, cheapest first (ties by id); only the active ones unless asked."""
    query = select(ServicePackage).order_by(ServicePackage.base_price_cents, ServicePackage.id)
    if not include_inactive:
        query = query.where(ServicePackage.is_active.is_(True))
    return list(await session.scalars(query))


async def package_name_taken(
    session: AsyncSession, name: str, except_id: int | None = None
) -> bool:
    """Whether a package (other than `except_id`) has this name."""
    query = select(func.count()).select_from(ServicePackage).where(ServicePackage.name == name)
    if except_id is not None:
        query = query.where(ServicePackage.id != except_id)
    return bool(await session.scalar(query))


async def package_has_orders(session: AsyncSession, package_id: int) -> bool:
    return bool(await session.scalar(select(exists().where(Order.package_id == package_id))))
