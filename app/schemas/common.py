"""Constrained field types shared by request schemas: one definition of each limit.

Every text field is a `domain.text.Text` (no NUL) with its limits added on top.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec

from domain.ids import MAX_ID, MAX_SEQ, MIN_ID, MIN_SEQ
from domain.text import Text

Email = Annotated[
    str,
    msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"),
]
"""Its own pattern refuses NUL too (a field has one pattern, so it is not a `Text`)."""
Password = Annotated[Text, msgspec.Meta(min_length=8, max_length=128)]
PersonName = Annotated[Text, msgspec.Meta(min_length=1, max_length=120)]
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
PositiveId = Annotated[int, msgspec.Meta(ge=MIN_ID, le=MAX_ID)]
Seq = Annotated[int, msgspec.Meta(ge=MIN_SEQ, le=MAX_SEQ)]
"""A position in an order's sequence (chat seq); an `integer` column."""
Version = Annotated[int, msgspec.Meta(ge=1, le=MAX_SEQ)]
"""An order's version (optimistic concurrency); an `integer` column."""
Reason = Annotated[Text, msgspec.Meta(max_length=500)]
MAX_PAGE = 100

T = TypeVar("T")


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
