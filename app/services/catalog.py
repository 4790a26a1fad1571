"""Vehicles (owned by customers) and service packages (the catalog admins maintain)."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.schemas.catalog import (
    PackageIn,
    PackageOut,
    PackagePatch,
    VehicleIn,
    VehicleOut,
    VehiclePatch,
)
from app.schemas.rows import from_row
from domain.audit import AuditAction, AuditTarget, changed_fields
from domain.errors import Conflict, not_found
from domain.roles import SYSTEM_ACTOR, Actor
from persistence import catalog as stored
from persistence.models import ServicePackage, Vehicle


def vehicle_out(vehicle: Vehicle) -> VehicleOut:
    return from_row(VehicleOut, vehicle)


def package_out(package: ServicePackage) -> PackageOut:
    return from_row(PackageOut, package)


def _apply_patch(target: Any, patch: msgspec.Struct) -> None:
    for field in patch.__struct_fields__:
        value = getattr(patch, field)
        if value is not msgspec.UNSET:
            setattr(target, field, value)


async def own_vehicle(session: AsyncSession, owner_id: int, vehicle_id: int) -> Vehicle:
    """The caller's vehicle; someone else's answers 404 exactly like a missing one."""
    vehicle = await session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.owner_id != owner_id:
        raise not_found("vehicle")
    return vehicle


async def list_vehicles(session: AsyncSession, owner_id: int) -> list[Vehicle]:
    return await stored.vehicles_of(session, owner_id)


async def create_vehicle(session: AsyncSession, owner_id: int, data: VehicleIn) -> Vehicle:
    vehicle = Vehicle(owner_id=owner_id, **msgspec.structs.asdict(data))
    vehicle.plate = vehicle.plate.upper()
    session.add(vehicle)
    await session.commit()
    return vehicle


async def update_vehicle(
    session: AsyncSession, owner_id: int, vehicle_id: int, patch: VehiclePatch
) -> Vehicle:
    vehicle = await own_vehicle(session, owner_id, vehicle_id)
    _apply_patch(vehicle, patch)
    vehicle.plate = vehicle.plate.upper()
    await session.commit()
    return vehicle


async def delete_vehicle(session: AsyncSession, owner_id: int, vehicle_id: int) -> None:
    vehicle = await own_vehicle(session, owner_id, vehicle_id)
    if await stored.vehicle_has_orders(session, vehicle.id):
        raise Conflict("vehicle_in_use", "the vehicle has orders and cannot be deleted")
    await session.delete(vehicle)
    await session.commit()


async def list_packages(session: AsyncSession, include_inactive: bool) -> list[ServicePackage]:
    return await stored.packages(session, include_inactive=include_inactive)


async def get_package(session: AsyncSession, package_id: int) -> ServicePackage:
    package = await session.get(ServicePackage, package_id)
    if package is None:
        raise not_found("package")
    return package


def _package_state(package: ServicePackage) -> dict[str, Any]:
    """A package's fields as an audit entry keeps them (prices included)."""
    return {field: getattr(package, field) for field in PackageIn.__struct_fields__}


async def create_package(
    session: AsyncSession, data: PackageIn, actor: Actor = SYSTEM_ACTOR
) -> ServicePackage:
    if await stored.package_name_taken(session, data.name):
        raise Conflict("package_name_taken", "a package with this name exists")
    package = ServicePackage(**msgspec.structs.asdict(data))
    session.add(package)
    await session.flush()
    target = (AuditTarget.PACKAGE, package.id)
    audit.record(session, AuditAction.PACKAGE_CREATED, actor, target, after=_package_state(package))
    await session.commit()
    return package


async def update_package(
    session: AsyncSession, package_id: int, patch: PackagePatch, actor: Actor
) -> ServicePackage:
    """Apply an admin's edit, audited with the fields (prices among them) it changed."""
    package = await get_package(session, package_id)
    if patch.name is not msgspec.UNSET and await stored.package_name_taken(
        session, patch.name, package_id
    ):
        raise Conflict("package_name_taken", "a package with this name exists")
    was = _package_state(package)
    _apply_patch(package, patch)
    before, after = changed_fields(was, _package_state(package))
    target = (AuditTarget.PACKAGE, package.id)
    audit.record(session, AuditAction.PACKAGE_UPDATED, actor, target, before=before, after=after)
    await session.commit()
    return package


async def delete_package(session: AsyncSession, package_id: int, actor: Actor) -> None:
    package = await get_package(session, package_id)
    if await stored.package_has_orders(session, package.id):
        raise Conflict(
            "package_in_use", "the package has orders; deactivate it with is_active=false"
        )
    target = (AuditTarget.PACKAGE, package.id)
    was = _package_state(package)
    audit.record(session, AuditAction.PACKAGE_DELETED, actor, target, before=was)
    await session.delete(package)
    await session.commit()
