"""The range of every number a client may send to name a stored row or a position in it.

Ids are PostgreSQL bigints and per-order sequences (event seq, chat seq, order version) are
plain integers. A number past its column's range cannot name anything; sent on to the
database it makes the driver fail (a 500) instead of matching nothing. So every transport
(HTTP path, query and body, WebSocket ops) bounds its numbers with these, in one place.
"""

from __future__ import annotations

MIN_ID = 1
MAX_ID = 2**62
"""Within a bigint (2**63 - 1) with room to spare; no sequence gets anywhere near it."""

MIN_SEQ = 0
MAX_SEQ = 2**31 - 1
"""The largest value of a PostgreSQL `integer` column (chat seq, order version)."""
