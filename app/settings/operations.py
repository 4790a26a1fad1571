"""The field business: the served area and the geofence, dispatch, share links, and the
dashboard's day and service-level targets."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.settings.parsing import parse_positive_float, parse_positive_int, setting
from domain.geo import GEOFENCE_RADIUS_M, ServiceArea


def parse_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone name such as UTC or America/Chicago") from None
    return value


@dataclasses.dataclass(frozen=True)
class OperationsSettings:
    """The field-operations settings of `Settings`."""

    geofence_radius_m: float = setting(
        "GEOFENCE_RADIUS_M",
        parse_positive_float,
        f"{GEOFENCE_RADIUS_M:g}",
        "a washer en route this close to the address is marked arrived by the system",
    )
    dispatch_interval_seconds: float = setting(
        "DISPATCH_INTERVAL_SECONDS",
        parse_positive_float,
        "2",
        "how often dispatch expires offers and offers waiting orders (also woken on commit)",
    )
    service_area: ServiceArea = setting(  # noqa: RUF009 - a frozen (immutable) Struct
        "SERVICE_AREA",
        ServiceArea.parse,
        "30.21,-97.81,30.33,-97.67",
        "the served rectangle as south,west,north,east degrees; bookings outside are refused",
    )
    share_link_ttl_seconds: int = setting(
        "SHARE_LINK_TTL_SECONDS",
        parse_positive_int,
        "14400",
        "a share link of an order works this long at most (it ends with the order anyway)",
    )
    business_timezone: str = setting(
        "BUSINESS_TIMEZONE",
        parse_time_zone,
        "UTC",
        'IANA time zone whose midnight starts the dashboard\'s "today" totals',
    )
    kpi_tick_seconds: float = setting(
        "KPI_TICK_SECONDS",
        parse_positive_float,
        "2",
        "how often each process sends its admin streams a kpi.tick",
    )
    sla_assign_seconds: int = setting(
        "SLA_ASSIGN_SECONDS",
        parse_positive_int,
        "300",
        "an order waiting longer than this for a washer counts as an SLA breach",
    )
    sla_arrival_seconds: int = setting(
        "SLA_ARRIVAL_SECONDS",
        parse_positive_int,
        "2700",
        "a washer not arrived this long after the order was due counts as an SLA breach",
    )
