"""Query and path parameter types shared by controllers: one definition of each bound."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

Limit = Annotated[int, Parameter(ge=1, le=100, description="page size (1-100)")]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000, description="items to skip")]
ID_BOUNDS = {"ge": 1, "le": 2**62}
