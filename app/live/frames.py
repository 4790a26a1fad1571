"""Frames the server sends outside the event stream (replies, errors), queued in order."""

from __future__ import annotations

from realtime.envelope import Control


class RawFrame(Control):
    """A pre-encoded frame that travels through a connection's queue like any other item,
    so replies, errors and events reach the client in the order they were decided."""

    def __init__(self, frame: bytes) -> None:
        self.type = "frame"
        self.channel = ""
        self.position = None
        self.ws_frame = frame
