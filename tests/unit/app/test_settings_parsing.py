"""The number parsers of `app.settings.parsing`: each refuses what its name rules out, with
a message that says what was expected, and keeps the number's type."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.settings.parsing import (
    parse_non_negative_float,
    parse_non_negative_int,
    parse_positive_float,
    parse_positive_int,
)


@pytest.mark.parametrize(
    ("parse", "accepted", "refused", "message"),
    [
        (parse_positive_int, {"1": 1, "42": 42}, ["0", "-3"], "expected a positive integer"),
        (parse_non_negative_int, {"0": 0, "7": 7}, ["-1"], "expected 0 or a positive integer"),
        (parse_positive_float, {"0.5": 0.5, "2": 2.0}, ["0", "-0.1"], "expected a positive number"),
        (parse_non_negative_float, {"0": 0.0, "1.5": 1.5}, ["-2.5"], "expected a number >= 0"),
    ],
)
def test_a_number_parser_accepts_its_range_and_names_what_it_expected(
    parse: Callable[[str], float],
    accepted: dict[str, float],
    refused: list[str],
    message: str,
) -> None:
    for text, value in accepted.items():
        parsed = parse(text)
        assert parsed == value and type(parsed) is type(value)
    for text in refused:
        with pytest.raises(ValueError, match=message):
            parse(text)


def test_an_integer_parser_refuses_a_fraction() -> None:
    with pytest.raises(ValueError):
        parse_positive_int("1.5")
