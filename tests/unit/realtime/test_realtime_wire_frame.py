"""An event's WebSocket frame is built once and must be byte for byte what the sans-I/O
library would have written for each socket, at every length form of the header."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from realtime.envelope import Envelope, text_frame


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_text_frame_is_what_websockets_serialises(size: int) -> None:
    payload = b"x" * size
    assert text_frame(payload) == Frame(Opcode.TEXT, payload).serialize(mask=False)


def test_a_client_parses_the_frame_back_to_the_envelope() -> None:
    envelope = Envelope.create("order:7", "3", "order.status", {"status": "en_route"})
    reader = StreamReader()
    reader.feed_data(envelope.ws_wire)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    else:  # pragma: no cover - the whole frame was fed
        raise AssertionError("frame incomplete")
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert frame.data == envelope.ws_frame


def test_the_frame_is_built_once_per_event() -> None:
    envelope = Envelope.create("ops", "1-a1", "kpi.tick", {"n": 1})
    assert envelope.ws_wire is envelope.ws_wire
