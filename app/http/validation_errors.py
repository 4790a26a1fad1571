"""What a client is told about a request body or parameter the decoder refused.

Litestar and msgspec describe a refusal in their own terms (the regex of a pattern, the body
parameter `data`, the decoder's prose); this module turns that into the field a client sent
and a message about the rule, so `app.http.errors` only has to choose status and shape.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar.exceptions import ValidationException

from domain.text import NO_NUL_PATTERN

# msgspec names a missing or unknown member only in its message ("Object missing required
# field `plate`", "Object contains unknown field `price_cents`"); Litestar then reports the
# object that lacks or carries it as the failing key, which for the body itself is `data`.
_NAMED_MEMBER = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<name>[^`]+)`")
_BODY_ROOT = "data"


def field_name(item: dict[str, Any]) -> str | None:
    """The field a validation message is about, as the client spells it.

    For a missing or unknown member that is the member itself, qualified by the object it
    belongs in (`fixes[2].lat`), never `data`: a client highlights the field it got wrong.
    """
    key = item.get("key") or None
    named = _NAMED_MEMBER.match(item.get("message", ""))
    if named is None or item.get("source") != "body":
        return key
    member = named["name"]
    return member if key in (None, _BODY_ROOT) else f"{key}.{member}"


# msgspec words a failed `pattern` as the regex itself; for the NUL rule every text field
# shares (`domain.text.Text`) say what the rule is instead.
_MESSAGE_BY_DECODER_MESSAGE = {
    f"Expected `str` matching regex {NO_NUL_PATTERN!r}": "must not contain NUL (U+0000)",
}


def validation_errors(exc: ValidationException) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message", ""))
            errors.append(
                {
                    "field": field_name(item),
                    "source": item.get("source") or None,
                    "message": _MESSAGE_BY_DECODER_MESSAGE.get(message, message),
                }
            )
    return errors


MISSING_BODY_MESSAGE = "a JSON body is required"


def is_missing_body(exc: ValidationException) -> bool:
    """An empty body where JSON was required: Litestar reports the body parameter itself as
    missing (its message is the lookup's `'data'`), which would mean nothing to a client."""
    items = exc.extra if isinstance(exc.extra, list) else []
    return len(items) == 1 and items[0] == {
        "key": _BODY_ROOT,
        "source": "body",
        "message": repr(_BODY_ROOT),
    }


def is_undecodable_body(exc: BaseException) -> bool:
    """Whether a 400 comes from a body the JSON decoder could not parse at all.

    Litestar turns msgspec's `DecodeError` into a `ClientException` whose message is the
    decoder's prose ("JSON is malformed: ...", "Input data was truncated"); the exception
    chain is the stable signal, the prose is not. A `msgspec.ValidationError` is also a
    `DecodeError`, but means well-formed JSON of the wrong shape, so it does not count.
    """
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, msgspec.DecodeError) and not isinstance(
            cause, msgspec.ValidationError
        ):
            return True
        cause = cause.__cause__
    return False
