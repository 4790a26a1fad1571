"""Every text field a client sends refuses NUL, so no new field can forget the rule.

PostgreSQL cannot store U+0000; a request schema whose text field lacks the `Text` rule
would let NUL reach an insert again (a 500 on PostgreSQL only).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator

import msgspec
import msgspec.inspect as mi

import app.schemas

OPAQUE = {("RefreshRequest", "refresh_token")}
"""Hashed before it is looked up, never stored as text: NUL there matches nothing (401)."""


def request_structs() -> Iterator[type[msgspec.Struct]]:
    """The structs clients send: the schemas that refuse unknown fields."""
    for info in pkgutil.iter_modules(app.schemas.__path__):
        module = importlib.import_module(f"app.schemas.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, msgspec.Struct)
                and value.__module__ == module.__name__
                and value.__struct_config__.forbid_unknown_fields
            ):
                yield value


def text_types(field_type: mi.Type) -> Iterator[mi.StrType]:
    if isinstance(field_type, mi.StrType):
        yield field_type
    elif isinstance(field_type, mi.UnionType):
        for member in field_type.types:
            yield from text_types(member)
    elif isinstance(field_type, mi.ListType):
        yield from text_types(field_type.item_type)


def test_every_text_field_of_every_request_schema_refuses_nul() -> None:
    checked = []
    for struct in request_structs():
        info = mi.type_info(struct)
        assert isinstance(info, mi.StructType)
        for field in info.fields:
            if (struct.__name__, field.name) in OPAQUE:
                continue
            for text in text_types(field.type):
                checked.append(f"{struct.__name__}.{field.name}")
                assert text.pattern is not None, checked[-1]
                assert re.search(text.pattern, "a\x00b") is None, checked[-1]
    assert {"RegisterRequest.full_name", "VehicleIn.make", "MessageIn.body"} <= set(checked)
