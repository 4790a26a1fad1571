"""docs/protocol.md keeps up with the protocol code: every op, frame, event name and close
code the server knows is written down there."""

from __future__ import annotations

from pathlib import Path

from domain.events import ALL_EVENT_TYPES
from realtime import close_codes, protocol

PROTOCOL_MD = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"


def test_every_op_frame_event_and_close_code_is_documented() -> None:
    text = PROTOCOL_MD.read_text()
    ops = {f"`{name}`" for name in protocol.OP_NAMES}
    frames = {f"`{frame.__struct_config__.tag}`" for frame in protocol.SERVER_FRAMES}
    names = {f"`{name}`" for name in ALL_EVENT_TYPES}
    codes = {
        f"| {value} |"
        for name, value in vars(close_codes).items()
        if name.isupper() and isinstance(value, int)
    }
    missing = [needle for needle in sorted(ops | frames | names | codes) if needle not in text]
    assert missing == []
