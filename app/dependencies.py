"""How handlers ask for a part the composition root (`app.bootstrap`) built.

`runtime: Injected[Runtime]` is handed over as is: the parts are the server's own objects,
not request data, so they are not validated the way query parameters and bodies are.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from litestar.params import Dependency

T = TypeVar("T")

Injected = Annotated[T, Dependency(skip_validation=True)]
