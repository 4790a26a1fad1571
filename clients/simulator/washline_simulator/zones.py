"""Demand zones as the server names them: H3 cells of the served area (the resolution is
the server's `SURGE_ZONE_RESOLUTION`, which the simulator is told). Washers follow their
zone's live price and drive toward a busier one."""

from __future__ import annotations

import h3

from washline_simulator.coords import LatLng


def zone_of(position: LatLng, resolution: int) -> str:
    """The zone a point falls in."""
    return str(h3.latlng_to_cell(position.lat, position.lng, resolution))


def is_zone(name: str) -> bool:
    """Whether ``name`` is a canonical (lower-case) H3 cell name."""
    return (
        isinstance(name, str)
        and len(name) == 15
        and name == name.lower()
        and bool(h3.is_valid_cell(name))
    )


def zone_center(zone: str) -> LatLng:
    lat, lng = h3.cell_to_latlng(zone)
    return LatLng(lat, lng)
