"""Hypothesis strategies for hostile WebSocket frames: everything a broken or malicious
client could send on `/ws`.

A `Send` is one frame as it goes on the wire (text or binary); a flood is many of them sent
without waiting. `too_big` tells the test the server must close with 1009 (the frame is
over `WS_MAX_FRAME_BYTES`) rather than answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

MAX_FRAME_BYTES = 65_536
OPS = ("subscribe", "unsubscribe", "ping", "auth", "location", "chat", "typing")

HUGE_INTS = st.sampled_from(
    [0, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, -(10**40)]
)
NUL_TEXT = st.text(max_size=20).map(lambda text: f"{text}\x00{text}")
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | HUGE_INTS
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | NUL_TEXT
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)

# Values close to what each field expects, so the fuzzer gets past the first type check.
CHANNELS = st.sampled_from(
    [
        "ops",
        "order:1",
        "order:1:chat",
        "order:1:track",
        "order:3:track",
        "user:1",
        "user:7",
        "order:0",
        "order:-1",
        "order:99999999999999999999",
        "order:1:nope",
        "user:",
        "",
        "order:1\x00",
    ]
) | st.text(max_size=30)
SINCE = st.sampled_from(["0", "1", "3", "17-k3x9", "-1", "0-0", "999999999999999999999", ""])
NOW = "<now>"
"""Stands for the current time in a frame; the sender fills it in (`Send.wire`)."""
TIMESTAMPS = (
    st.sampled_from(
        [NOW, NOW, "2026-12-02T14:26:14Z", "2026-12-02T14:26:14+00:00", "9999-12-31T23:59:59Z"]
    )
    | st.sampled_from(["yesterday", ""])
    | st.datetimes().map(lambda moment: moment.isoformat())
)
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "ref": st.integers() | st.text(max_size=80) | HUGE_INTS,
    "channel": CHANNELS,
    "since": SINCE | st.integers(),
    "token": st.text(max_size=60) | st.just("Bearer x") | NUL_TEXT,
    "lat": st.floats(min_value=-100, max_value=100) | HUGE_INTS,
    "lng": st.floats(min_value=-200, max_value=200) | HUGE_INTS,
    "ts": TIMESTAMPS,
    "heading": st.floats(allow_nan=False, allow_infinity=False) | HUGE_INTS,
    "speed": st.floats(allow_nan=False, allow_infinity=False) | HUGE_INTS,
    "accuracy": st.floats(allow_nan=False, allow_infinity=False) | HUGE_INTS,
    "order_id": st.integers(min_value=1, max_value=8) | HUGE_INTS | st.text(max_size=5),
    "body": st.text(max_size=60) | NUL_TEXT | st.text(min_size=1990, max_size=2100),
}


@dataclass(frozen=True)
class Send:
    """One frame to send: text, or bytes for a binary frame."""

    payload: str | bytes

    @property
    def size(self) -> int:
        return len(self.payload.encode() if isinstance(self.payload, str) else self.payload)

    def wire(self, now: str) -> str | bytes:
        """The payload with `NOW` replaced by `now` (an ISO-8601 timestamp)."""
        if isinstance(self.payload, bytes):
            return self.payload
        return self.payload.replace(NOW, now)

    @property
    def too_big(self) -> bool:
        return self.size > MAX_FRAME_BYTES

    def __repr__(self) -> str:
        kind = "binary" if isinstance(self.payload, bytes) else "text"
        return f"Send({kind}, {self.size} bytes, {self.payload[:120]!r})"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@st.composite
def op_objects(draw: st.DrawFn) -> dict[str, Any]:
    """An op object: a known op (or not) with plausible or wrong-typed fields."""
    frame: dict[str, Any] = {}
    frame["op"] = draw(st.sampled_from(OPS) | st.text(max_size=12) | JSON_VALUES)
    for name in draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=6, unique=True)):
        frame[name] = draw(FIELDS[name] | JSON_VALUES)
    if draw(st.booleans()):
        del frame["op"]
    return frame


# The fields each op needs, with values that are often valid: the fuzzer must get past
# decoding to reach the handlers (subscriptions, the location pipeline, chat).
REQUIRED: dict[str, tuple[str, ...]] = {
    "subscribe": ("channel",),
    "unsubscribe": ("channel",),
    "ping": (),
    "auth": ("token",),
    "location": ("lat", "lng", "ts"),
    "chat": ("order_id", "body"),
    "typing": ("order_id",),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "subscribe": ("since",),
    "location": ("heading", "speed", "accuracy"),
}
AUSTIN_LAT = st.floats(min_value=30.21, max_value=30.33)
AUSTIN_LNG = st.floats(min_value=-97.81, max_value=-97.67)
VALID_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    **FIELDS,
    "channel": st.sampled_from(["ops", "order:1", "order:1:chat", "order:3:track", "user:7"])
    | CHANNELS,
    "lat": AUSTIN_LAT | FIELDS["lat"],
    "lng": AUSTIN_LNG | FIELDS["lng"],
    "ts": st.just(NOW) | TIMESTAMPS,
    "heading": st.floats(min_value=0, max_value=359),
    "speed": st.floats(min_value=0, max_value=40),
    "accuracy": st.floats(min_value=1, max_value=200),
    "body": st.text(min_size=1, max_size=60) | FIELDS["body"],
}


@st.composite
def plausible_ops(draw: st.DrawFn) -> dict[str, Any]:
    """A known op with its fields, mostly well-typed, now and then one of them wrong."""
    op = draw(st.sampled_from(OPS))
    frame: dict[str, Any] = {"op": op, "ref": draw(st.integers(0, 10**6) | FIELDS["ref"])}
    for name in REQUIRED[op]:
        frame[name] = draw(VALID_FIELDS[name])
    for name in OPTIONAL.get(op, ()):
        if draw(st.booleans()):
            frame[name] = draw(VALID_FIELDS[name])
    if draw(st.integers(0, 3)) == 0:
        name = draw(st.sampled_from(sorted(frame)))
        frame[name] = draw(JSON_VALUES)
    return frame


def _nested(depth: int, opener: str) -> str:
    """`[[[...1...]]]` or `{"a":{"a":...1...}}`, `depth` levels deep."""
    if opener == "[":
        return "[" * depth + "1" + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


OP_FRAMES = op_objects().map(lambda frame: Send(_dump(frame)))
PLAUSIBLE = plausible_ops().map(lambda frame: Send(_dump(frame)))
MALFORMED = st.one_of(
    st.text(max_size=200).map(Send),
    op_objects().flatmap(
        lambda frame: st.integers(0, max(0, len(_dump(frame)) - 1)).map(
            lambda cut: Send(_dump(frame)[:cut])
        )
    ),
    JSON_VALUES.map(lambda value: Send(_dump(value))),
)
DEEP = st.builds(
    lambda depth, opener: Send(_nested(depth, opener)),
    st.sampled_from([64, 1_000, 5_000, 20_000, 40_000]),
    st.sampled_from(["[", "{"]),
)
HUGE = st.builds(
    lambda size, op: Send(_dump({"op": op, "order_id": 1, "ref": "huge", "body": "x" * size})),
    st.sampled_from([30_000, 65_400, 70_000, 300_000]),
    st.sampled_from(["chat", "ping", "subscribe"]),
)
BINARY = st.binary(max_size=200).map(Send) | OP_FRAMES.map(
    lambda send: Send(str(send.payload).encode())
)
SINGLE = st.one_of(PLAUSIBLE, PLAUSIBLE, PLAUSIBLE, OP_FRAMES, MALFORMED, DEEP, HUGE, BINARY)
FLOOD = st.builds(lambda send, count: [send] * count, PLAUSIBLE | OP_FRAMES, st.integers(50, 300))

# One example: a few frames, or one frame repeated as fast as the socket takes it.
EXAMPLES = st.lists(SINGLE, min_size=1, max_size=4) | FLOOD
