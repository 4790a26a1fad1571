"""What a live session is given: who it acts for, the transport under it, where order facts
come from, its limits, and the parts every session of the process shares.

The live core states these as small protocols so it never imports the app: the app's
authenticated principal, its database, its op handlers all arrive through
:class:`SessionContext`, built once per process by the composition root.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from domain.orders import OrderFacts
from domain.roles import Actor, Role
from realtime.hub import Hub
from realtime.presence import PresenceTracker

if TYPE_CHECKING:
    from realtime.session import LiveSession
    from realtime.sessions import LiveSessions


class LivePrincipal(Protocol):
    """Who the session acts for, as their access token says."""

    @property
    def id(self) -> int: ...
    @property
    def role(self) -> Role: ...
    @property
    def expires_at(self) -> float: ...
    @property
    def actor(self) -> Actor: ...
    @property
    def session_id(self) -> str | None:
        """The token family (login) the token belongs to: revoking it ends this session."""

    @property
    def lacks_second_factor(self) -> bool:
        """An admin who must, and did not, pass a second factor: no admin-only channels."""


class Transport(Protocol):
    """The connection under a session."""

    @property
    def name(self) -> str:
        """``ws`` or ``sse``: the label of metrics and presence entries."""

    @property
    def two_way(self) -> bool:
        """Whether the client sends ops (and so gets replies and notices)."""


class OrderFactsSource(Protocol):
    """Loads what the access rule needs about an order (the app reads the database)."""

    async def order_facts(self, order_id: int) -> OrderFacts | None: ...


OpHandler = Callable[["LiveSession", Any], Awaitable[None]]
TokenVerifier = Callable[[str], "LivePrincipal | None"]
OutageTest = Callable[[BaseException], bool]


def no_outage(exc: BaseException) -> bool:
    """The default: the live core cannot tell a store's outage from a bug by itself."""
    return False


class SessionLimits(NamedTuple):
    """Per connection: queued events, channels, ops per second, bytes per client frame."""

    max_queue: int
    max_subscriptions: int
    ops_per_second: int
    max_frame_bytes: int


class Outage(NamedTuple):
    """How an op that needs a dependency which is away (the app's database) is answered:
    an `error` frame with ``code`` and ``retry_after`` seconds, and the connection stays."""

    is_outage: OutageTest
    code: str
    retry_after: int


NO_OUTAGE = Outage(no_outage, "", 0)
"""For a context with nothing that can be away: no error is treated as an outage."""


@dataclass(frozen=True, slots=True)
class SessionContext:
    """What every session of the process shares, held once rather than per connection."""

    hub: Hub
    presence: PresenceTracker
    facts: OrderFactsSource
    sessions: LiveSessions
    limits: SessionLimits
    verify_token: TokenVerifier
    op_handlers: Mapping[type, OpHandler]
    outage: Outage = NO_OUTAGE
