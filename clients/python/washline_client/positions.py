"""Per-channel positions: what to resume from, and which events were already seen.

Ids increase per channel: `"12"` (database-backed channels) or `"17-k3x9"` (offset-epoch).
A later event of the same history has a larger offset; an id of another epoch starts a new
history (after a `reset`), so it is taken as new.
"""

from __future__ import annotations

from typing import NamedTuple


class Position(NamedTuple):
    offset: int
    epoch: str


def parse_id(value: str) -> Position | None:
    """The position an id names, or None for something that is not an event id."""
    offset, _, epoch = value.partition("-")
    if not offset.isdigit():
        return None
    return Position(int(offset), epoch)


class Positions:
    """The last id seen per channel, and the duplicate test against it."""

    def __init__(self) -> None:
        self._last: dict[str, str] = {}

    def get(self, channel: str) -> str | None:
        return self._last.get(channel)

    def set(self, channel: str, event_id: str) -> None:
        """Resume `channel` after `event_id` (a `since` given by the app)."""
        self._last[channel] = event_id

    def forget(self, channel: str) -> None:
        self._last.pop(channel, None)

    def accept(self, channel: str, event_id: str | None) -> bool:
        """Record an arriving event; False when it was seen already (drop it)."""
        if event_id is None:
            return True  # never replayed, never duplicated (typing)
        candidate = parse_id(event_id)
        last_id = self._last.get(channel)
        last = parse_id(last_id) if last_id is not None else None
        if candidate is None:
            return True
        if last is not None and candidate.epoch == last.epoch and candidate.offset <= last.offset:
            return False
        self._last[channel] = event_id
        return True

    def snapshot(self) -> dict[str, str]:
        return dict(self._last)
