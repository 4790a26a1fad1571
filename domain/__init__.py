"""Washline's pure business rules.

Nothing here performs I/O or reads the clock: callers pass ``now`` in, so every rule can be
unit-tested without a database, a broker or a frozen clock, and every transport (HTTP,
WebSocket, SSE) asks the same rule instead of re-implementing it. Only the standard library
and msgspec may be imported here.
"""
