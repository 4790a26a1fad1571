"""Vehicles (a customer's own) and service packages (public list, admin writes)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from sqlalchemy.ext.asyncio import AsyncSession

from app.http.answers import PACKAGE_IN_USE, PACKAGE_NAME_TAKEN, VEHICLE_IN_USE
from app.http.auth import AUTH_OPTIONAL, admin_only, customer_only
from app.http.controllers.params import id_path
from app.principal import Principal
from app.schemas.catalog import (
    PackageIn,
    PackageOut,
    PackagePatch,
    VehicleIn,
    VehicleOut,
    VehiclePatch,
)
from app.services import catalog
from domain.roles import Role

VehicleId = id_path("vehicle id")
PackageId = id_path("package id")


class VehicleController(Controller):
    path = "/api/vehicles"
    tags = ["vehicles"]
    guards = [customer_only]

    @get("/", summary="The caller's vehicles")
    async def list_vehicles(
        self, request: Request[Principal, Any, Any], db_session: AsyncSession
    ) -> list[VehicleOut]:
        return [
            catalog.vehicle_out(v) for v in await catalog.list_vehicles(db_session, request.user.id)
        ]

    @post("/", summary="Add a vehicle")
    async def create_vehicle(
        self, request: Request[Principal, Any, Any], data: VehicleIn, db_session: AsyncSession
    ) -> VehicleOut:
        return catalog.vehicle_out(await catalog.create_vehicle(db_session, request.user.id, data))

    @get("/{vehicle_id:int}", summary="One of the caller's vehicles")
    async def get_vehicle(
        self,
        request: Request[Principal, Any, Any],
        db_session: AsyncSession,
        vehicle_id: int = VehicleId,
    ) -> VehicleOut:
        return catalog.vehicle_out(
            await catalog.own_vehicle(db_session, request.user.id, vehicle_id)
        )

    @patch("/{vehicle_id:int}", summary="Change a vehicle")
    async def update_vehicle(
        self,
        request: Request[Principal, Any, Any],
        data: VehiclePatch,
        db_session: AsyncSession,
        vehicle_id: int = VehicleId,
    ) -> VehicleOut:
        vehicle = await catalog.update_vehicle(db_session, request.user.id, vehicle_id, data)
        return catalog.vehicle_out(vehicle)

    @delete(
        "/{vehicle_id:int}",
        summary="Delete a vehicle that has no orders",
        refuses=(VEHICLE_IN_USE,),
    )
    async def delete_vehicle(
        self,
        request: Request[Principal, Any, Any],
        db_session: AsyncSession,
        vehicle_id: int = VehicleId,
    ) -> None:
        await catalog.delete_vehicle(db_session, request.user.id, vehicle_id)


class PackageController(Controller):
    path = "/api/packages"
    tags = ["packages"]

    @get(
        "/",
        opt={AUTH_OPTIONAL: True},
        summary="Active service packages (public); admins may include inactive ones",
    )
    async def list_packages(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        include_inactive: bool = False,
    ) -> list[PackageOut]:
        is_admin = (
            isinstance(request.scope.get("user"), Principal) and request.user.role is Role.ADMIN
        )
        packages = await catalog.list_packages(db_session, include_inactive and is_admin)
        return [catalog.package_out(p) for p in packages]

    @get("/{package_id:int}", opt={AUTH_OPTIONAL: True}, summary="One service package")
    async def get_package(
        self, db_session: AsyncSession, package_id: int = PackageId
    ) -> PackageOut:
        return catalog.package_out(await catalog.get_package(db_session, package_id))

    @post(
        "/",
        guards=[admin_only],
        summary="Create a package (admins)",
        refuses=(PACKAGE_NAME_TAKEN,),
    )
    async def create_package(
        self, request: Request[Principal, Any, Any], data: PackageIn, db_session: AsyncSession
    ) -> PackageOut:
        package = await catalog.create_package(db_session, data, request.user.actor)
        return catalog.package_out(package)

    @patch(
        "/{package_id:int}",
        guards=[admin_only],
        summary="Change a package (admins)",
        refuses=(PACKAGE_NAME_TAKEN,),
    )
    async def update_package(
        self,
        request: Request[Principal, Any, Any],
        data: PackagePatch,
        db_session: AsyncSession,
        package_id: int = PackageId,
    ) -> PackageOut:
        package = await catalog.update_package(db_session, package_id, data, request.user.actor)
        return catalog.package_out(package)

    @delete(
        "/{package_id:int}",
        guards=[admin_only],
        summary="Delete an unused package (admins)",
        refuses=(PACKAGE_IN_USE,),
    )
    async def delete_package(
        self,
        request: Request[Principal, Any, Any],
        db_session: AsyncSession,
        package_id: int = PackageId,
    ) -> None:
        await catalog.delete_package(db_session, package_id, request.user.actor)
