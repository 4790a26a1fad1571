"""`app.schemas.rows.from_row`: a response read from a row's attributes of the same names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
import pytest

from app.schemas.catalog import VehicleOut
from app.schemas.chat import NotificationOut
from app.schemas.rows import from_row

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@dataclass
class VehicleRow:
    id: int
    owner_id: int
    make: str
    model: str
    plate: str
    size: str
    color: str | None
    created_at: datetime
    updated_at: datetime  # a column the response leaves out


def test_fields_are_read_by_name_and_other_columns_ignored() -> None:
    row = VehicleRow(7, 3, "VW", "Golf", "B-1", "medium", None, AT, AT)
    assert from_row(VehicleOut, row) == VehicleOut(
        id=7,
        owner_id=3,
        make="VW",
        model="Golf",
        plate="B-1",
        size="medium",
        color=None,
        created_at=AT,
    )


def test_a_nested_payload_is_kept_as_stored() -> None:
    @dataclass
    class NotificationRow:
        id: int
        kind: str
        payload: dict[str, object]
        created_at: datetime
        read_at: datetime | None

    payload: dict[str, object] = {"order_id": 4, "data": {"status": "assigned"}}
    out = from_row(NotificationOut, NotificationRow(1, "order.status", payload, AT, None))
    assert out.payload == payload and out.read_at is None


def test_a_row_missing_a_field_is_refused() -> None:
    @dataclass
    class Partial:
        id: int

    with pytest.raises(msgspec.ValidationError):
        from_row(VehicleOut, Partial(1))
