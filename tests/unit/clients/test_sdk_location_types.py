"""Both SDKs type the location payloads as the server builds them (`domain.event_data`) and
the `location` op as the server decodes it (`realtime.protocol.Location`): same field names,
and a payload the server's type encodes decodes into the Python SDK's type."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from washline_client import (
    Event,
    LocationData,
    LocationFix,
    LocationReply,
    WasherPosition,
    WasherPositionData,
)

from domain import event_data
from realtime.protocol import Location

TYPES_FILE = Path(__file__).parents[3] / "clients" / "js" / "washline.d.ts"
TS = "2026-12-02T14:26:14.883485+00:00"


def fields(kind: type[msgspec.Struct]) -> set[str]:
    return set(kind.__struct_fields__)


def ts_fields(interface: str) -> set[str]:
    """The member names of `export interface <interface> { ... }` in washline.d.ts."""
    body = re.search(rf"export interface {interface} \{{(.*?)\n\}}", TYPES_FILE.read_text(), re.S)
    assert body is not None, interface
    return set(re.findall(r"^\s+(\w+)\??:", body.group(1), re.M))


@pytest.mark.parametrize(
    ("server", "python", "typescript"),
    [
        (event_data.OrderLocationData, LocationData, "LocationData"),
        (event_data.WasherPosition, WasherPosition, "WasherPosition"),
        (event_data.WasherPositionData, WasherPositionData, "WasherPositionData"),
    ],
)
def test_the_sdks_name_every_field_the_server_sends(
    server: type[msgspec.Struct], python: type[msgspec.Struct], typescript: str
) -> None:
    assert fields(python) == fields(server)
    assert ts_fields(typescript) == fields(server)


def test_the_location_op_is_typed_as_the_server_decodes_it() -> None:
    op = fields(Location) - {"ref"}
    assert fields(LocationFix) == op
    assert ts_fields("LocationFix") == op
    assert {"status", "order_id", "eta_seconds"} == fields(LocationReply)


def test_a_server_built_track_event_reads_as_the_typed_payload() -> None:
    sent = event_data.OrderLocationData(
        washer_id=5,
        lat=30.27,
        lng=-97.74,
        ts=TS,
        heading=180.0,
        speed=9.5,
        accuracy=None,
        order_id=42,
        distance_m=812.4,
        eta_seconds=95,
        status="en_route",
    )
    event = Event("order:42:track", "order.location", event_data.as_data(sent), "3-k")
    payload = event.payload
    assert isinstance(payload, LocationData)
    assert (payload.washer_id, payload.order_id, payload.eta_seconds) == (5, 42, 95)
    assert payload.ts == datetime(2026, 12, 2, 14, 26, 14, 883485, tzinfo=UTC)
    batch = event_data.WasherPositionData(
        positions=[event_data.WasherPosition(5, 30.27, -97.74, TS, None, None, None)]
    )
    ops = Event("ops", "washer.position", event_data.as_data(batch), "9-k").payload
    assert isinstance(ops, WasherPositionData)
    assert ops.positions[0].washer_id == 5 and ops.positions[0].eta_seconds is None


def test_a_fix_goes_out_as_the_op_the_server_decodes() -> None:
    fix = LocationFix(30.27, -97.74, datetime(2026, 12, 2, 14, 26, tzinfo=UTC), speed=4.0)
    sent = {"op": "location", **msgspec.to_builtins(fix)}
    decoded = msgspec.convert(sent, Location)
    assert (decoded.lat, decoded.speed, decoded.heading) == (30.27, 4.0, None)
    assert datetime.fromisoformat(decoded.ts) == fix.ts
