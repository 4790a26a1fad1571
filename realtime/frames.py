"""Frames the server sends outside the event stream (replies, errors, notices), queued in
order with the events so the client sees them in the order they were decided."""

from __future__ import annotations

from realtime.envelope import Control


class RawFrame(Control):
    """A pre-encoded frame that travels through a connection's queue like any other item.

    One-way transports (SSE) have no place for replies and skip these."""

    __slots__ = ()

    def __init__(self, frame: bytes) -> None:
        self.type = "frame"
        self.channel = ""
        self.position = None
        self.ws_frame = frame


class ClosingFrame(RawFrame):
    """A last frame: once it is sent, the transport ends the connection with ``code``.

    Every transport sends it (SSE as a final ``error`` event), so a client always learns why
    its connection ended."""

    __slots__ = ("code", "reason")

    def __init__(self, frame: bytes, code: int, reason: str) -> None:
        super().__init__(frame)
        self.code = code
        self.reason = reason
