"""Text a client sends to be stored or relayed: any characters but NUL.

PostgreSQL's text types cannot hold U+0000 (the driver fails on the insert, a 500), while
SQLite stores it silently, so the two back-ends would disagree. Every text field of every
request schema and WebSocket op is a `Text`, with its own length limits added on top, e.g.
`Annotated[Text, msgspec.Meta(max_length=60)]`: one rule, refused at decoding time.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

NO_NUL_PATTERN = r"^[^\x00]*$"

Text = Annotated[str, msgspec.Meta(pattern=NO_NUL_PATTERN)]
