"""The event envelope: one object per event per process, encoded at most once.

An event's JSON ``data`` is kept as raw bytes (``msgspec.Raw``) from the moment it is
published or received, so neither a WebSocket frame nor an SSE body ever re-encodes it, and
every local subscriber is handed the very same ``bytes`` object.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from typing import Any, NamedTuple

import msgspec

from realtime.protocol import EventFrame

_encoder = msgspec.json.Encoder()


class StreamPosition(NamedTuple):
    """An id taken apart: ``offset`` orders events within one ``epoch``.

    Database-backed channels have no epoch (``""``): their offset is the database sequence,
    which survives any loss of Redis. Other channels' offsets restart when their history is
    recreated, under a new epoch, so two positions of different epochs are not comparable and
    a client holding an old epoch must be told ``reset``.
    """

    offset: int
    epoch: str

    def __str__(self) -> str:
        return format_id(self.offset, self.epoch)


EPHEMERAL_ID = ""
"""The id of a live-only event (typing): it has no place in history and moves no position."""


def format_id(offset: int, epoch: str = "") -> str:
    """``"17"`` for database-backed channels, ``"17-a1b2c3"`` for the others."""
    return f"{offset}-{epoch}" if epoch else str(offset)


def parse_id(value: str) -> StreamPosition:
    """Parse an envelope id; raises ``ValueError`` on anything a client must not send."""
    offset_text, _, epoch = value.partition("-")
    if not offset_text.isdigit() or len(offset_text) > 19 or (value.count("-") and not epoch):
        raise ValueError(f"invalid event id {value[:40]!r}")
    if epoch and not epoch.isalnum():
        raise ValueError(f"invalid event id {value[:40]!r}")
    return StreamPosition(int(offset_text), epoch)


def is_after(candidate: StreamPosition, last: StreamPosition | None) -> bool:
    """True when ``candidate`` is a later event of the same history than ``last``."""
    return last is None or (candidate.epoch == last.epoch and candidate.offset > last.offset)


def utc_now_iso() -> str:
    return iso_utc(datetime.now(UTC))


def iso_utc(moment: datetime) -> str:
    """The envelope's ``ts`` form of a time (a naive time is taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def text_frame(payload: bytes) -> bytes:
    """One final, unmasked text frame of ``payload`` (RFC 6455 section 5.2): the bytes a
    server sends when no extension is in use."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


class _Body(msgspec.Struct, omit_defaults=True):
    """What history stores and pub/sub carries; the id and channel travel beside it.

    ``trace`` is the publisher's W3C ``traceparent`` (`realtime.tracing`), absent when
    tracing is off; it stays between processes and never reaches a client's frame."""

    event: str
    ts: str
    data: msgspec.Raw
    trace: str | None = None


class _Event(msgspec.Struct):
    channel: str
    id: str
    event: str
    ts: str
    data: msgspec.Raw


_body_decoder = msgspec.json.Decoder(_Body)


class Envelope:
    """One event on one channel. Immutable by convention; caches its encodings."""

    __slots__ = (
        "_data",
        "_position",
        "_published_at",
        "_raw",
        "_sse",
        "_ws",
        "_ws_text",
        "_ws_wire",
        "channel",
        "event",
        "id",
        "trace",
        "ts",
    )

    def __init__(
        self,
        channel: str,
        id: str,
        event: str,
        ts: str,
        raw_data: bytes,
        trace: str | None = None,
    ) -> None:
        self.channel = channel
        self.id = id
        self.event = event
        self.ts = ts
        self._raw = msgspec.Raw(raw_data)
        self._data: Any = _UNSET
        self._ws: bytes | None = None
        self._ws_text: str | None = None
        self._ws_wire: bytes | None = None
        self._sse: str | None = None
        self._position: StreamPosition | None = None
        self._published_at: float | None = None
        self.trace = trace

    @classmethod
    def create(
        cls,
        channel: str,
        id: str,
        event: str,
        data: Any,
        ts: str | None = None,
        trace: str | None = None,
    ) -> Envelope:
        envelope = cls(channel, id, event, ts or utc_now_iso(), _encoder.encode(data), trace)
        envelope._data = data
        return envelope

    @classmethod
    def from_body(cls, channel: str, id: str, body: bytes) -> Envelope:
        """Rebuild an envelope from :meth:`body` bytes (history entry or pub/sub payload)."""
        decoded = _body_decoder.decode(body)
        return cls(channel, id, decoded.event, decoded.ts, bytes(decoded.data), decoded.trace)

    @property
    def data(self) -> Any:
        if self._data is _UNSET:
            self._data = msgspec.json.decode(self._raw)
        return self._data

    @property
    def raw_data(self) -> bytes:
        return bytes(self._raw)

    @property
    def position(self) -> StreamPosition:
        if self._position is None:
            self._position = parse_id(self.id)
        return self._position

    @property
    def published_at(self) -> float:
        """Unix time of ``ts``, for the publish-to-delivery latency metric."""
        if self._published_at is None:
            self._published_at = datetime.fromisoformat(self.ts).timestamp()
        return self._published_at

    def body(self) -> bytes:
        return _encoder.encode(_Body(self.event, self.ts, self._raw, self.trace))

    @property
    def ws_frame(self) -> bytes:
        """``{"type":"event",...}`` bytes, computed once and shared by every subscriber."""
        if self._ws is None:
            self._ws = _encoder.encode(
                EventFrame(self.channel, self.id, self.event, self.ts, self._raw)
            )
        return self._ws

    @property
    def ws_wire(self) -> bytes:
        """`ws_frame` as a whole unmasked, uncompressed WebSocket text frame (RFC 6455
        header and payload): what a server writes to every plain socket, built once per
        event instead of once per subscriber."""
        if self._ws_wire is None:
            self._ws_wire = text_frame(self.ws_frame)
        return self._ws_wire

    @property
    def ws_text(self) -> str:
        """`ws_frame` as text, for text frames: decoded once, not once per subscriber."""
        if self._ws_text is None:
            self._ws_text = self.ws_frame.decode()
        return self._ws_text

    @property
    def sse_data(self) -> str:
        """The envelope as the SSE ``data:`` field (no ``type``), computed once."""
        if self._sse is None:
            self._sse = _encoder.encode(
                _Event(self.channel, self.id, self.event, self.ts, self._raw)
            ).decode()
        return self._sse

    def __repr__(self) -> str:
        return f"Envelope({self.channel!r}, {self.id!r}, {self.event!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Envelope):
            return NotImplemented
        return (self.channel, self.id, self.event, self.ts, self.raw_data) == (
            other.channel,
            other.id,
            other.event,
            other.ts,
            other.raw_data,
        )

    def __hash__(self) -> int:
        return hash((self.channel, self.id))


class _Unset:
    pass


_UNSET: Any = _Unset()


class Control:
    """A control item a transport sends as is, e.g. ``{"type":"reset","channel":...}``.

    ``position`` is where the channel stands once the client has acted on it (the id to
    resume from after a reset), or ``None`` when unknown; it is bookkeeping, not on the wire.
    """

    __slots__ = ("channel", "position", "type", "ws_frame")

    def __init__(self, type: str, channel: str, position: str | None = None) -> None:
        self.type = type
        self.channel = channel
        self.position = position
        self.ws_frame = _encoder.encode({"type": type, "channel": channel})

    @property
    def sse_data(self) -> str:
        return self.ws_frame.decode()

    @property
    def ws_text(self) -> str:
        return self.ws_frame.decode()

    def __repr__(self) -> str:
        return f"Control({self.type!r}, {self.channel!r})"


def reset(channel: str, position: str | None = None) -> Control:
    """Tells the client its ``since`` can no longer be served: reload state over REST."""
    return Control("reset", channel, position)
