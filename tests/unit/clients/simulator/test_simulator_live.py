"""The simulator's live socket (`washline_simulator.live`): the events it hands on and the
refusals it reports."""

from __future__ import annotations

import json
import random

from washline_simulator.live import Frame, Live

from tests.unit.clients.simulator.test_simulator_people import status_event


def test_the_socket_drops_events_it_has_already_seen() -> None:
    seen: list[Frame] = []
    notices: list[str] = []

    async def token(force: bool) -> str:
        return "unused"

    live = Live("ws://unused/ws", token, on_frame=seen.append, on_notice=notices.append,
                rng=random.Random(1))  # fmt: skip
    live._channels["order:7"] = "0"
    for seq in (1, 2, 2, 1, 3):
        live._dispatch(json.dumps(status_event(seq, "assigned")))
    live._dispatch(json.dumps({"type": "error", "ref": 99, "code": "invalid_fix", "message": "x"}))
    live._dispatch("not json")
    assert [frame["id"] for frame in seen] == ["1", "2", "3"]
    assert notices == ["server refused an op: invalid_fix: x"]
