"""How a setting is declared and how its text is parsed, shared by every group of settings.

A setting is a dataclass field whose metadata carries its environment variable, parser,
meaning and default as written: one declaration gives the value, the validation and the
documentation (`app.settings.Settings.documentation`), so they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar


class SettingsError(ValueError):
    """A setting is malformed; the message is one line that names the variable."""


def setting(env: str, parse: Callable[[str], Any], default: str, doc: str) -> Any:
    """A field read from `env` by `parse`, whose default is `default` parsed the same way."""
    return dataclasses.field(
        default=parse(default), metadata={"env": env, "parse": parse, "doc": doc, "raw": default}
    )


N = TypeVar("N", int, float)


def _number_parser(
    convert: Callable[[str], N], *, zero_allowed: bool, expected: str
) -> Callable[[str], N]:
    """A parser of `convert`'s numbers that refuses negatives, and zero unless
    `zero_allowed`: the four number parsers below differ only in these three."""

    def parse(value: str) -> N:
        number = convert(value)
        if number < 0 or (number == 0 and not zero_allowed):
            raise ValueError(expected)
        return number

    return parse


parse_positive_int = _number_parser(int, zero_allowed=False, expected="expected a positive integer")
parse_non_negative_int = _number_parser(
    int, zero_allowed=True, expected="expected 0 or a positive integer"
)
parse_positive_float = _number_parser(
    float, zero_allowed=False, expected="expected a positive number"
)
parse_non_negative_float = _number_parser(
    float, zero_allowed=True, expected="expected a number >= 0"
)


def parse_boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def parse_csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_choice(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value

    return parse
