"""WebSocket close codes the live core and its transports use.

One place for them so the server and every client agree; the 4xxx codes are ours (the
range RFC 6455 leaves to applications) and each tells the client what to do next.
"""

from __future__ import annotations

POLICY_VIOLATION = 1008
"""The client broke a rule of the protocol (bad frame, forbidden op); do not retry as is."""

MESSAGE_TOO_BIG = 1009
"""A client frame exceeded the size limit; the client must send smaller frames."""

SERVICE_RESTART = 1012
"""This process is shutting down; reconnect (to another pod) and resume with ``since``."""

UNAUTHORIZED = 4001
"""The token is missing, invalid or expired; get a fresh token, then reconnect."""

SLOW_CONSUMER = 4008
"""The connection's outbound queue overflowed on a reliable channel; reconnect and resume
with ``since`` (every event is still in history or the database)."""

TOO_MANY_CONNECTIONS = 4009
"""The user (or the client address) already holds as many live connections as allowed;
close one, or back off before reconnecting."""

TOO_MANY_OPS = 4029
"""The client sent ops faster than its rate limit; back off before reconnecting."""

ACCESS_ENDED = 4003
"""A channel this connection exists for is no longer the user's to see (the order was
reassigned, say); reconnecting will be refused."""
