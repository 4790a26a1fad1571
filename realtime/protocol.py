"""The WebSocket wire protocol: client ops in, replies, errors and events out.

Every client op is one JSON object with an `op` and an optional `ref` the server echoes.
A frame that cannot be understood gets an `error` frame naming what was wrong, and the
connection stays up: one bad frame must not cost a client its other subscriptions. That
includes frames the decoder cannot manage (nested too deeply) and values the ops could
only fail on later: an order id past a bigint, NUL in a chat body (PostgreSQL cannot store
it). Those are refused here, by the op structs' field types, as `bad_field` errors.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

import msgspec

from domain.errors import Refusal
from domain.ids import MAX_ID, MIN_ID
from domain.text import Text

MAX_REF_LENGTH = 64
Ref = Union[str, int, None]  # noqa: UP007 - runtime alias
OrderId = Annotated[int, msgspec.Meta(ge=MIN_ID, le=MAX_ID)]
TOO_DEEP = "json_too_deep"


class ProtocolError(Refusal):
    """An op the server refuses; `code` is stable and machine-readable, `ref` the op's."""

    def __init__(self, code: str, message: str, ref: Ref = None) -> None:
        super().__init__(code, message)
        self.ref = ref


class Subscribe(msgspec.Struct, tag="subscribe", tag_field="op", forbid_unknown_fields=True):
    """Follow a channel from after `since` (an event id) or from now; replies `{channel}`."""

    channel: str
    since: str | None = None
    ref: Ref = None

    def __post_init__(self) -> None:
        if self.since == "":
            self.since = None  # the id of an ephemeral event: nothing to resume from


class Unsubscribe(msgspec.Struct, tag="unsubscribe", tag_field="op", forbid_unknown_fields=True):
    """Stop following a channel; replies `{channel}`."""

    channel: str
    ref: Ref = None


class Ping(msgspec.Struct, tag="ping", tag_field="op", forbid_unknown_fields=True):
    """Check the connection; replies `{pong: true}`."""

    ref: Ref = None


class Auth(msgspec.Struct, tag="auth", tag_field="op", forbid_unknown_fields=True):
    """A fresh access token of the same user for this connection; replies `{expires_at}`."""

    token: str
    ref: Ref = None


class Location(msgspec.Struct, tag="location", tag_field="op", forbid_unknown_fields=True):
    """A washer's GPS fix (`ts` ISO-8601 with offset); replies `{status, order_id, eta_seconds}`."""

    lat: float
    lng: float
    ts: str
    heading: float | None = None
    speed: float | None = None
    accuracy: float | None = None
    ref: Ref = None


class Chat(msgspec.Struct, tag="chat", tag_field="op", forbid_unknown_fields=True):
    """A chat message on an order; replies `{order_id, seq}`."""

    order_id: OrderId
    body: Text
    ref: Ref = None


class Typing(msgspec.Struct, tag="typing", tag_field="op", forbid_unknown_fields=True):
    """Tell the order's chat you are typing (`chat.typing`, never replayed); replies `{}`."""

    order_id: OrderId
    ref: Ref = None


ClientOp = Union[Subscribe, Unsubscribe, Ping, Auth, Location, Chat, Typing]  # noqa: UP007
CLIENT_OPS = (Subscribe, Unsubscribe, Ping, Auth, Location, Chat, Typing)
OP_NAMES = frozenset(str(t.__struct_config__.tag) for t in CLIENT_OPS)
_any_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


def _ref_of(frame: dict[str, Any]) -> Ref:
    ref = frame.get("ref")
    if isinstance(ref, bool) or not isinstance(ref, str | int) or ref is None:
        return None
    if isinstance(ref, str) and len(ref) > MAX_REF_LENGTH:
        return None
    return ref


_op_decoder = msgspec.json.Decoder(ClientOp)


def decode_op(payload: str | bytes) -> ClientOp:
    """Parse one client frame; raises ProtocolError with the `ref` when one was readable.

    A well-formed frame (nearly all of them: a washer's phone sends one a second) is decoded
    once, straight into its op struct. Only a frame that fails that, or whose `ref` is too
    long, takes the slow path, which decodes it generically to name what is wrong."""
    try:
        op: ClientOp = _op_decoder.decode(payload)
    except (msgspec.DecodeError, RecursionError):
        return _diagnose(payload)
    ref = op.ref
    if isinstance(ref, str) and len(ref) > MAX_REF_LENGTH:
        return _diagnose(payload)
    return op


def _diagnose(payload: str | bytes) -> ClientOp:
    """The careful decode: generic JSON first, so the error can carry the frame's `ref`."""
    try:
        frame = _any_decoder.decode(payload)
    except msgspec.DecodeError:
        raise ProtocolError("invalid_json", "frame is not valid JSON") from None
    except RecursionError:  # not a DecodeError: the decoder gives up near the stack limit
        raise ProtocolError(TOO_DEEP, "frame is nested too deeply to be read") from None
    if not isinstance(frame, dict):
        raise ProtocolError("bad_frame", "frame must be a JSON object")
    ref = _ref_of(frame)
    op = frame.get("op")
    if not isinstance(op, str):
        raise ProtocolError("bad_frame", "frame needs an `op` string", ref)
    if op not in OP_NAMES:
        raise ProtocolError("unknown_op", f"unknown op {op[:32]!r}", ref)
    if "ref" in frame and frame["ref"] is not None and ref is None:
        raise ProtocolError("bad_field", "`ref` must be a string (<= 64 chars) or an integer", None)
    try:
        return msgspec.convert(frame, ClientOp)
    except msgspec.ValidationError as exc:
        raise ProtocolError("bad_field", str(exc), ref) from None
    except RecursionError:
        raise ProtocolError(TOO_DEEP, "frame is nested too deeply to be read", ref) from None


# -- frames the server sends (the AsyncAPI document, `/asyncapi.json`, is made from these) --


class Reply(msgspec.Struct, tag="reply", tag_field="type"):
    """The op with this `ref` succeeded; each op adds its own fields (docs/protocol.md)."""

    ref: Ref
    ok: bool = True


class ErrorFrame(msgspec.Struct, tag="error", tag_field="type"):
    """The op with this `ref` (or a frame that had none readable) was refused; the
    connection stays. Some codes add fields (`reason` on `invalid_fix`, `channel`)."""

    ref: Ref
    code: str
    message: str


class EventFrame(msgspec.Struct, tag="event", tag_field="type"):
    """One event on one channel; `id` orders a channel's events (empty: never replayed)."""

    channel: str
    id: str
    event: str
    ts: str
    data: msgspec.Raw


class ResetFrame(msgspec.Struct, tag="reset", tag_field="type"):
    """`since` can no longer be served on `channel`: reload its state over REST."""

    channel: str


class UnsubscribedFrame(msgspec.Struct, tag="unsubscribed", tag_field="type"):
    """The server ended a subscription the user may no longer hold."""

    channel: str
    code: str
    message: str


ServerFrame = Union[Reply, ErrorFrame, EventFrame, ResetFrame, UnsubscribedFrame]  # noqa: UP007
SERVER_FRAMES = (Reply, ErrorFrame, EventFrame, ResetFrame, UnsubscribedFrame)


def _frame(frame: msgspec.Struct, extra: dict[str, Any]) -> bytes:
    return _encoder.encode({**msgspec.to_builtins(frame), **extra} if extra else frame)


def reply(ref: Ref, **extra: Any) -> bytes:
    return _frame(Reply(ref), extra)


def error(code: str, message: str, ref: Ref = None, **extra: Any) -> bytes:
    return _frame(ErrorFrame(ref, code, message), extra)


def unsubscribed(channel: str, code: str, message: str) -> bytes:
    return _encoder.encode(UnsubscribedFrame(channel, code, message))
