"""Envelope ids and encodings."""

from __future__ import annotations

import msgspec
import pytest

from realtime.envelope import Envelope, StreamPosition, format_id, is_after, parse_id


def test_ids_round_trip() -> None:
    assert parse_id("17") == StreamPosition(17, "")
    assert parse_id("5-a1b2c3") == StreamPosition(5, "a1b2c3")
    assert format_id(5, "a1b2c3") == "5-a1b2c3" and format_id(17) == "17"
    assert str(StreamPosition(3, "ab")) == "3-ab"


@pytest.mark.parametrize("bad", ["", "-", "x", "5-", "-ab", "1.5", "5-a b", "1" * 20, "5-ab-"])
def test_malformed_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_id(bad)


def test_positions_compare_only_within_an_epoch() -> None:
    assert is_after(StreamPosition(3, "a"), StreamPosition(2, "a"))
    assert not is_after(StreamPosition(2, "a"), StreamPosition(2, "a"))
    assert not is_after(StreamPosition(9, "b"), StreamPosition(2, "a"))
    assert is_after(StreamPosition(1, ""), None)


def test_body_round_trip_keeps_data_bytes_verbatim() -> None:
    original = Envelope.create("user:1", "3-ab", "offer", {"b": [1, 2], "a": "é"})
    copy = Envelope.from_body("user:1", "3-ab", original.body())
    assert copy == original and copy.data == {"b": [1, 2], "a": "é"}
    assert copy.ws_frame == original.ws_frame
    assert copy.ws_frame is copy.ws_frame  # encoded once, then shared


def test_frames_have_the_contract_shape() -> None:
    envelope = Envelope.create(
        "order:1", "4", "order.status", {"status": "assigned"}, ts="2025-01-01T00:00:00.000000Z"
    )
    assert msgspec.json.decode(envelope.ws_frame) == {
        "type": "event",
        "channel": "order:1",
        "id": "4",
        "event": "order.status",
        "ts": "2025-01-01T00:00:00.000000Z",
        "data": {"status": "assigned"},
    }
    assert "type" not in msgspec.json.decode(envelope.sse_data)
    assert envelope.published_at == 1735689600.0
