"""Decoder refusals in the client's terms: the field it sent, and the rule, not the regex."""

from __future__ import annotations

import msgspec
import pytest
from litestar.exceptions import ClientException, ValidationException

from app.http.validation_errors import (
    MISSING_BODY_MESSAGE,
    field_name,
    is_missing_body,
    is_undecodable_body,
    validation_errors,
)
from domain.text import NO_NUL_PATTERN


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"key": "lat", "source": "query", "message": "Expected `float`"}, "lat"),
        (
            {"key": "data", "source": "body", "message": "Object missing required field `plate`"},
            "plate",
        ),
        (
            {
                "key": "fixes[2]",
                "source": "body",
                "message": "Object contains unknown field `price_cents`",
            },
            "fixes[2].price_cents",
        ),
        ({"key": "", "source": "body", "message": "Expected `str`"}, None),
    ],
)
def test_the_field_is_the_member_the_client_got_wrong(
    item: dict[str, str], expected: str | None
) -> None:
    assert field_name(item) == expected


def test_a_nul_pattern_refusal_says_what_the_rule_is() -> None:
    message = f"Expected `str` matching regex {NO_NUL_PATTERN!r}"
    exc = ValidationException(extra=[{"key": "comment", "source": "body", "message": message}])
    assert validation_errors(exc) == [
        {"field": "comment", "source": "body", "message": "must not contain NUL (U+0000)"}
    ]


def test_an_empty_body_is_recognised_as_missing() -> None:
    missing = ValidationException(extra=[{"key": "data", "source": "body", "message": "'data'"}])
    wrong = ValidationException(extra=[{"key": "lat", "source": "body", "message": "'data'"}])
    assert is_missing_body(missing)
    assert not is_missing_body(wrong)
    assert MISSING_BODY_MESSAGE == "a JSON body is required"


def test_only_a_json_decode_error_makes_a_body_undecodable() -> None:
    malformed = ClientException("JSON is malformed")
    malformed.__cause__ = msgspec.DecodeError("JSON is malformed")
    wrong_shape = ClientException("Expected `int`")
    wrong_shape.__cause__ = msgspec.ValidationError("Expected `int`")
    assert is_undecodable_body(malformed)
    assert not is_undecodable_body(wrong_shape)
    assert not is_undecodable_body(ClientException("no cause"))
