"""Prices with surge: the zone's current multiplier, quotes that hold, a booking's price.

The multiplier is whatever the surge computation (`app.workers.surge`) last wrote for the
zone, so every process prices alike; a zone it never wrote costs the base price.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import msgspec
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from app.principal import Principal
from app.schemas.pricing import QuoteIn, QuoteOut, ZoneControlIn, ZoneOut
from app.services.catalog import own_vehicle
from domain.booking import check_service_area
from domain.errors import Conflict, not_found
from domain.geo import LatLng, ServiceArea
from domain.pricing import VehicleSize, price_order_cents
from domain.quotes import QUOTE_EXPIRED, BookingFacts, QuoteFacts, quote_problem
from domain.surge import BASE_PCT, apply_surge_cents, as_factor
from domain.zones import is_zone, zone_boundary, zone_of
from persistence import pricing as stored
from persistence.models import PriceQuote, ServicePackage, SurgeZone, Vehicle

QUOTES = Counter(
    "washline_quotes", "Price quotes by outcome: issued, honoured, expired (refused)", ["outcome"]
)


class Priced(msgspec.Struct, frozen=True):
    """A booking's price: what it is before surge, the surge, and what it costs."""

    zone: str
    base_price_cents: int
    multiplier_pct: int
    price_cents: int


async def current_multiplier(session: AsyncSession, zone: str) -> int:
    pct = await stored.zone_multiplier(session, zone)
    return BASE_PCT if pct is None else pct


async def active_package(session: AsyncSession, package_id: int) -> ServicePackage:
    package = await session.get(ServicePackage, package_id)
    if package is None or not package.is_active:
        raise not_found("package")
    return package


async def price_now(
    session: AsyncSession, vehicle: Vehicle, package: ServicePackage, zone: str
) -> Priced:
    pct = await current_multiplier(session, zone)
    return priced_at(package.base_price_cents, vehicle.size, zone, pct)


def priced_at(base_price_cents: int, vehicle_size: str, zone: str, pct: int | None) -> Priced:
    """The price of a package for a vehicle size at the zone's multiplier ``pct`` (None: a
    zone never priced, the base price)."""
    base = price_order_cents(base_price_cents, VehicleSize(vehicle_size))
    pct = BASE_PCT if pct is None else pct
    return Priced(zone, base, pct, apply_surge_cents(base, pct))


async def issue_quote(
    session: AsyncSession,
    customer: Principal,
    data: QuoteIn,
    *,
    area: ServiceArea,
    resolution: int,
    ttl: timedelta,
    now: datetime,
) -> QuoteOut:
    vehicle = await own_vehicle(session, customer.id, data.vehicle_id)
    package = await active_package(session, data.package_id)
    position = LatLng(data.lat, data.lng)
    check_service_area(area, position)
    priced = await price_now(session, vehicle, package, zone_of(position, resolution))
    quote = PriceQuote(
        token=secrets.token_urlsafe(16),
        customer_id=customer.id,
        vehicle_id=vehicle.id,
        package_id=package.id,
        zone=priced.zone,
        base_price_cents=priced.base_price_cents,
        multiplier_pct=priced.multiplier_pct,
        price_cents=priced.price_cents,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(quote)
    await session.commit()
    QUOTES.labels(outcome="issued").inc()
    return QuoteOut(
        quote_id=quote.token,
        price_cents=quote.price_cents,
        base_price_cents=quote.base_price_cents,
        multiplier=as_factor(quote.multiplier_pct),
        zone=quote.zone,
        expires_at=quote.expires_at,
    )


async def price_booking(
    session: AsyncSession,
    customer_id: int,
    vehicle_id: int,
    package_id: int,
    current: Priced,
    quote_token: str | None,
    now: datetime,
) -> tuple[Priced, PriceQuote | None]:
    """The price a booking pays: its quote's, when it names one it may use, else
    ``current`` (the surge's now). A quote it may not use is refused with ``current``."""
    if quote_token is None:
        return current, None
    quote = await stored.quote_by_token(session, quote_token)
    facts = (
        None
        if quote is None
        else QuoteFacts(
            customer_id=quote.customer_id,
            vehicle_id=quote.vehicle_id,
            package_id=quote.package_id,
            zone=quote.zone,
            expires_at=quote.expires_at,
            used=quote.order_id is not None,
        )
    )
    booking = BookingFacts(customer_id, vehicle_id, package_id, current.zone)
    problem = quote_problem(facts, booking, now)
    if problem is not None or quote is None:
        QUOTES.labels(outcome="expired").inc()
        raise quote_refused(problem or "no such quote", current)
    QUOTES.labels(outcome="honoured").inc()
    held = Priced(quote.zone, quote.base_price_cents, quote.multiplier_pct, quote.price_cents)
    return held, quote


def quote_refused(reason: str, current: Priced) -> Conflict:
    """409 `quote_expired`, carrying the price the booking would pay now."""
    return Conflict(
        QUOTE_EXPIRED,
        f"{reason}; ask for a new quote",
        price_cents=current.price_cents,
        base_price_cents=current.base_price_cents,
        multiplier=as_factor(current.multiplier_pct),
        zone=current.zone,
    )


async def spend_quote(
    session: AsyncSession, quote: PriceQuote, order_id: int, current: Priced
) -> None:
    """Mark the quote used by this order; a concurrent booking that spent it first wins."""
    if not await stored.spend_quote(session, quote.id, order_id):
        raise quote_refused("the quote was already used", current)


def zone_out(row: SurgeZone | None, zone: str) -> ZoneOut:
    return ZoneOut(
        zone=zone,
        multiplier=as_factor(row.multiplier_pct if row else BASE_PCT),
        demand=row.demand if row else 0,
        supply=row.supply if row else 0,
        cap=as_factor(row.cap_pct) if row and row.cap_pct is not None else None,
        pin=as_factor(row.pin_pct) if row and row.pin_pct is not None else None,
        updated_at=row.updated_at if row else None,
        boundary=zone_boundary(zone),
    )


async def list_zones(session: AsyncSession) -> list[ZoneOut]:
    return [zone_out(row, row.zone) for row in await stored.zones(session)]


async def control_zone(
    session: AsyncSession, zone: str, data: ZoneControlIn, now: datetime
) -> ZoneOut:
    """Set or lift a zone's cap and pin; the next computation applies them."""
    if not is_zone(zone):
        raise not_found("zone")
    row = await stored.zone_row(session, zone)
    if row is None:
        row = SurgeZone(zone=zone, multiplier_pct=BASE_PCT, demand=0, supply=0, updated_at=now)
        session.add(row)
    row.cap_pct = None if data.cap is None else round(data.cap * 100)
    row.pin_pct = None if data.pin is None else round(data.pin * 100)
    await session.commit()
    return zone_out(row, zone)
