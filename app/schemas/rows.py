"""Responses made from stored rows: a response type whose fields are a row's columns of the
same names is read from the row's attributes, so adding a field to both needs no mapper."""

from __future__ import annotations

from typing import TypeVar

import msgspec

Out = TypeVar("Out", bound=msgspec.Struct)


def from_row(schema: type[Out], row: object) -> Out:
    """`schema` filled from the attributes of `row` that its fields name (others ignored).
    A response of computed fields (an order, an offer, a zone) keeps its own mapper."""
    return msgspec.convert(row, schema, from_attributes=True)
