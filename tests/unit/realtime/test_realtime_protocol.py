"""Hostile WebSocket frames are refused by `decode_op` with a ProtocolError (an `error`
frame on the socket), never by an exception that closes it or fails later in an op."""

from __future__ import annotations

import json

import pytest

from domain.ids import MAX_ID
from realtime.protocol import MAX_REF_LENGTH, Chat, Location, ProtocolError, Typing, decode_op

DEPTH = 5_000


def refusal(payload: str | bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as refused:
        decode_op(payload)
    return refused.value


@pytest.mark.parametrize(
    "payload",
    [
        "[" * DEPTH + "]" * DEPTH,
        '{"a":' * DEPTH + "1" + "}" * DEPTH,
        '{"op": "chat", "order_id": 1, "body": ' + "[" * DEPTH + "]" * DEPTH + "}",
    ],
    ids=["array", "object", "inside-an-op"],
)
def test_a_frame_nested_too_deeply_is_a_protocol_error(payload: str) -> None:
    assert refusal(payload).code == "json_too_deep"


@pytest.mark.parametrize("op", ["chat", "typing"])
@pytest.mark.parametrize("order_id", [2**63, MAX_ID + 1, 0, -1])
def test_an_order_id_out_of_range_is_a_bad_field(op: str, order_id: int) -> None:
    frame = {"op": op, "order_id": order_id, "ref": 7}
    if op == "chat":
        frame["body"] = "on my way"
    error = refusal(json.dumps(frame))
    assert (error.code, error.ref) == ("bad_field", 7)
    assert "order_id" in error.message


def test_the_largest_order_id_is_still_an_op() -> None:
    assert decode_op(json.dumps({"op": "typing", "order_id": MAX_ID})) == Typing(order_id=MAX_ID)


def test_nul_in_a_chat_body_is_a_bad_field() -> None:
    error = refusal(
        json.dumps({"op": "chat", "order_id": 1, "body": "at the\u0000 gate", "ref": "c1"})
    )
    assert (error.code, error.ref) == ("bad_field", "c1")
    assert "body" in error.message


def test_an_ordinary_chat_op_still_decodes() -> None:
    op = decode_op(json.dumps({"op": "chat", "order_id": 3, "body": "5 minutes away"}))
    assert op == Chat(order_id=3, body="5 minutes away")


def test_a_location_decodes_straight_into_its_op() -> None:
    frame = {"op": "location", "ref": 9, "lat": 30.2, "lng": -97.7, "ts": "2026-06-01T12:00:00Z"}
    assert decode_op(json.dumps(frame).encode()) == Location(
        lat=30.2, lng=-97.7, ts="2026-06-01T12:00:00Z", ref=9
    )


@pytest.mark.parametrize(
    ("frame", "code", "ref"),
    [
        ({"op": "location", "ref": "r1", "lat": "north", "lng": 1, "ts": "x"}, "bad_field", "r1"),
        ({"op": "location", "ref": 2, "lng": 1.0, "ts": "x"}, "bad_field", 2),
        ({"op": "location", "ref": 3, "lat": 1, "lng": 1, "ts": "x", "alt": 9}, "bad_field", 3),
        ({"op": "ping", "ref": "r" * (MAX_REF_LENGTH + 1)}, "bad_field", None),
        ({"op": "ping", "ref": True}, "bad_field", None),
        ({"op": "teleport", "ref": 4}, "unknown_op", 4),
        ({"ref": 5}, "bad_frame", 5),
    ],
    ids=["bad-type", "missing-field", "unknown-field", "long-ref", "bool-ref", "op", "no-op"],
)
def test_a_frame_the_op_decoder_refuses_is_named_with_its_ref(
    frame: dict[str, object], code: str, ref: object
) -> None:
    refused = refusal(json.dumps(frame))
    assert (refused.code, refused.ref) == (code, ref)
