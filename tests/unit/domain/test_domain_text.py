"""`Text`: any characters but NUL, refused at decoding time, with length limits stacked on."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest

from domain.text import NO_NUL_PATTERN, Text


class Note(msgspec.Struct):
    body: Annotated[Text, msgspec.Meta(max_length=5)]


@pytest.mark.parametrize(
    "value",
    ["", "plain", "tab\there", "line\nbreak", "\x01\x1f\x7f", "émoji 🚗", "\u2028", "\\x00"],
)
def test_anything_but_nul_is_text(value: str) -> None:
    assert msgspec.json.decode(msgspec.json.encode(value), type=Text) == value


@pytest.mark.parametrize("value", ["\x00", "a\x00", "\x00b", "mid\x00dle", "\n\x00\n"])
def test_nul_anywhere_is_refused(value: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(msgspec.json.encode(value), type=Text)


def test_a_nul_escaped_in_json_is_refused_too() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'"wash\\u0000me"', type=Text)


def test_length_limits_stack_on_the_nul_rule() -> None:
    assert msgspec.json.decode(b'{"body": "12345"}', type=Note).body == "12345"
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"body": "123456"}', type=Note)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"body": "1\\u00002"}', type=Note)


def test_the_pattern_anchors_the_whole_string() -> None:
    assert NO_NUL_PATTERN.startswith("^") and NO_NUL_PATTERN.endswith("$")
