"""Query and path parameter types shared by controllers: one definition of each bound.

Ids and sequences are bounded by their columns' range (`domain.ids`): a number past it is a
400 naming the parameter, never a query the database driver fails on.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar.params import Parameter

from domain.ids import MAX_ID, MAX_SEQ, MIN_ID, MIN_SEQ

Limit = Annotated[int, Parameter(ge=1, le=100, description="page size (1-100)")]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000, description="items to skip")]


def id_path(title: str) -> Any:
    """A path parameter naming a row, e.g. `order_id: int = id_path("order id")`."""
    return Parameter(title=title, ge=MIN_ID, le=MAX_ID)


IdFilter = Annotated[int | None, Parameter(ge=MIN_ID, le=MAX_ID, description="admins only")]
"""An optional query parameter filtering by a row's id."""
IdCursor = Annotated[int | None, Parameter(ge=MIN_ID, le=MAX_ID, description="an id to page from")]
SeqCursor = Annotated[int | None, Parameter(ge=MIN_SEQ, le=MAX_SEQ, description="a message seq")]
