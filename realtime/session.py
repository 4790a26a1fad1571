"""One live connection's session, whatever carries it: subscriptions, access, expiry.

The WebSocket and the SSE streams are transports under the same :class:`LiveSession`: both
subscribe through it (the same access rule, the same limits, the same presence), both end
when the token expires, and both follow the facts their access was decided on. When an
order is reassigned, released or finished, :class:`realtime.sessions.LiveSessions` hands the
new facts to every session that watches the order, and the session ends the subscriptions
the user may no longer hold (and, for streams that asked for a channel "when allowed", adds
the ones that just became allowed). Nothing is checked per message.

A transport only moves bytes: it drains :attr:`LiveSession.subscriber` and, if it is
two-way, feeds client frames to :func:`realtime.session_ops.handle_frame`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from domain.channels import (
    SECOND_FACTOR_REQUIRED,
    TRACK_UNAVAILABLE,
    Channel,
    may_subscribe,
    only_staff_may_open,
    parse_channel,
    subscribe_refusal,
)
from domain.orders import OrderFacts
from domain.roles import Role
from realtime import protocol
from realtime.channel_traits import order_id_of
from realtime.close_codes import ACCESS_ENDED, UNAUTHORIZED
from realtime.envelope import parse_id
from realtime.expiry import expiry_clock
from realtime.frames import ClosingFrame, RawFrame
from realtime.op_budget import OpBudget
from realtime.presence import WASHERS_ONLINE, ConnectionPresence
from realtime.session_context import LivePrincipal, SessionContext, Transport
from realtime.subscriber import Subscriber

FORBIDDEN_MESSAGE = "you may not subscribe to this channel"
TRACK_MESSAGE = "the track is visible only while on the way"
ENDED_MESSAGE = "access to this channel ended"
SECOND_FACTOR_MESSAGE = "admins must log in with a second factor to open this channel"


class LiveSession:
    """One authenticated live connection. ``open`` before use, ``close`` when it ends."""

    __slots__ = (
        "_expiry",
        "_typing",
        "_wanted",
        "address",
        "budget",
        "closing",
        "context",
        "presence",
        "principal",
        "required",
        "subscriber",
        "transport",
    )

    def __init__(
        self,
        context: SessionContext,
        transport: Transport,
        principal: LivePrincipal,
        address: str | None = None,
    ) -> None:
        self.context = context
        self.address = address
        """The client's address, for the per-address connection cap."""
        self.transport = transport
        self.principal = principal
        limits = context.limits
        self.subscriber = Subscriber(
            max_queue=limits.max_queue, transport=transport.name, name=f"user-{principal.id}"
        )
        self.presence = ConnectionPresence(
            context.presence, principal.id, str(principal.role), transport.name
        )
        self.budget = OpBudget(limits.ops_per_second) if transport.two_way else None
        self.closing = False
        self.required: frozenset[str] = frozenset()
        """Channels the connection exists for: losing one ends it (an order's SSE stream)."""
        self._typing: dict[int, float] | None = None
        """Orders whose chat this session may signal typing on, until a monotonic time
        (created on first use, like ``_wanted``: most connections never need them)."""
        self._wanted: dict[str, Channel] | None = None
        self._expiry: int | None = None
        """The ticket of this session's token expiry on `realtime.expiry`'s clock."""

    @property
    def finished(self) -> bool:
        return self.closing or self.subscriber.closed

    async def open(self) -> None:
        """Connect and register; a session refused (over a cap, or shutting down) is already
        ending when this returns, and the transport delivers its last frame."""
        self.context.hub.connect(self.subscriber)
        if not self.context.sessions.add(self):
            return
        self._arm_expiry()
        if self.transport.two_way and self.principal.role is Role.WASHER:
            # A washer is online while their app holds a live socket; joining before the
            # first op means a reply to any op proves the washer is listed.
            await self.presence.join(WASHERS_ONLINE)

    async def close(self) -> None:
        """Unsubscribe everything and leave presence; safe to call twice."""
        if self._expiry is not None:
            expiry_clock().cancel(self._expiry)
            self._expiry = None
        self.context.sessions.discard(self)
        await self.context.hub.disconnect(self.subscriber)
        await self.presence.leave_all()

    # -- what the server says outside the event stream -------------------------------------

    def send(self, frame: bytes) -> None:
        """Queue a reply or notice behind whatever is already queued (two-way only)."""
        if self.transport.two_way:
            self.subscriber.offer(RawFrame(frame))

    def refuse(self, code: str, message: str, ref: protocol.Ref = None) -> None:
        self.send(protocol.error(code, message, ref))

    def end(self, code: int, reason: str, frame: bytes) -> None:
        """Send ``frame`` after everything already queued, then end the connection.

        Closing the subscriber at once would discard the queue, and with it the frame that
        tells the client why; the transport ends the connection when it reaches it."""
        if self.closing:
            return
        self.closing = True
        self.subscriber.offer(ClosingFrame(frame, code, reason))

    # -- subscriptions ----------------------------------------------------------------------

    async def subscribe(
        self, name: str, since: str | None = None, ref: protocol.Ref = None
    ) -> Channel:
        """Subscribe from after ``since`` (or from now) if the rule allows; the reply comes
        after the subscription is live, so events of the client's next action reach it."""
        if since is not None:
            try:
                parse_id(since)
            except ValueError:
                raise protocol.ProtocolError("bad_since", "since is not an event id", ref) from None
        try:
            channel = parse_channel(name)
        except ValueError:
            raise protocol.ProtocolError("bad_channel", "unknown channel name", ref) from None
        if self.principal.lacks_second_factor and only_staff_may_open(
            self.principal.actor, channel
        ):
            raise protocol.ProtocolError(SECOND_FACTOR_REQUIRED, SECOND_FACTOR_MESSAGE, ref)
        current = self.context.hub.subscriptions(self.subscriber)
        limit = self.context.limits.max_subscriptions
        if channel.name not in current and len(current) >= limit:
            raise protocol.ProtocolError(
                "too_many_subscriptions", f"at most {limit} subscriptions per connection", ref
            )
        facts = await self._facts_for([channel])
        refused = subscribe_refusal(self.principal.actor, channel, facts.get(channel.order_id))
        if refused is not None:
            self._unwatch_if_idle(channel.order_id)
            message = TRACK_MESSAGE if refused == TRACK_UNAVAILABLE else FORBIDDEN_MESSAGE
            raise protocol.ProtocolError(refused, message, ref)
        await self._attach(channel, since)
        return channel

    async def follow(
        self, channels: Sequence[Channel], since: Mapping[str, str], required: Sequence[Channel]
    ) -> None:
        """For one-way streams: subscribe to each channel the user may see now and add the
        others as soon as they may; a ``required`` channel not allowed ends the stream."""
        self.required = frozenset(channel.name for channel in required)
        facts = await self._facts_for(channels)
        for channel in channels:
            if may_subscribe(self.principal.actor, channel, facts.get(channel.order_id)):
                await self._attach(channel, since.get(channel.name))
            elif channel.name in self.required:
                self._end_access(channel)
                return
            else:
                self._want(channel)

    async def unsubscribe(self, name: str) -> None:
        await self.context.hub.unsubscribe(self.subscriber, name)
        await self.presence.leave(name)
        if self._wanted is not None:
            self._wanted.pop(name, None)
        self._unwatch_if_idle(order_id_of(name))

    async def _attach(self, channel: Channel, since: str | None) -> None:
        await self.context.hub.subscribe(self.subscriber, channel.name, since)
        await self.presence.join(channel.name)

    async def _facts_for(self, channels: Sequence[Channel]) -> dict[int | None, OrderFacts]:
        """Each order's facts, loaded once; the session watches the order first, so a
        change committed after this read still reaches :meth:`on_order_changed`."""
        facts: dict[int | None, OrderFacts] = {}
        for order_id in {c.order_id for c in channels if c.order_id is not None}:
            self.context.sessions.watch(self, order_id)
            loaded = await self.context.facts.order_facts(order_id)
            if loaded is not None:
                self.context.sessions.noted(loaded)
                facts[order_id] = loaded
        return facts

    def _unwatch_if_idle(self, order_id: int | None) -> None:
        if order_id is None:
            return
        held = self.context.hub.subscriptions(self.subscriber)
        names = [*held, *(self._wanted or ())]
        if not any(order_id_of(name) == order_id for name in names):
            self.context.sessions.unwatch(self, order_id)

    # -- following the facts ----------------------------------------------------------------

    async def on_order_changed(self, facts: OrderFacts) -> None:
        """An order this session watches changed: end what the user may no longer see,
        add what a one-way stream asked for and may now see."""
        actor = self.principal.actor
        for name in self.context.hub.subscriptions(self.subscriber):
            if order_id_of(name) != facts.order_id:
                continue
            channel = parse_channel(name)
            if not may_subscribe(actor, channel, facts):
                await self._revoke(channel)
        for name, channel in list((self._wanted or {}).items()):
            if channel.order_id == facts.order_id and may_subscribe(actor, channel, facts):
                assert self._wanted is not None
                del self._wanted[name]
                await self._attach(channel, None)
        self._unwatch_if_idle(facts.order_id)

    async def _revoke(self, channel: Channel) -> None:
        await self.context.hub.unsubscribe(self.subscriber, channel.name)
        await self.presence.leave(channel.name)
        if channel.name in self.required:
            self._end_access(channel)
        elif self.transport.two_way:
            self.send(protocol.unsubscribed(channel.name, "forbidden", ENDED_MESSAGE))
        else:
            self._want(channel)  # the stream carries it again when allowed

    def _want(self, channel: Channel) -> None:
        """Carry ``channel`` as soon as it is allowed (one-way streams)."""
        if self._wanted is None:
            self._wanted = {}
        self._wanted[channel.name] = channel

    # -- chat typing access -----------------------------------------------------------------

    def typing_allowed_until(self, order_id: int) -> float | None:
        """Until when (monotonic) this session was found a participant of the order's chat;
        None if it never was."""
        return self._typing.get(order_id) if self._typing is not None else None

    def allow_typing(self, order_id: int, until: float) -> None:
        if self._typing is None:
            self._typing = {}
        self._typing[order_id] = until

    def _end_access(self, channel: Channel) -> None:
        self.end(
            ACCESS_ENDED,
            ENDED_MESSAGE,
            protocol.error("forbidden", ENDED_MESSAGE, channel=channel.name),
        )

    # -- token lifetime ---------------------------------------------------------------------

    def renew(self, principal: LivePrincipal) -> None:
        """Carry on under a fresh token of the same user (the ``auth`` op): the session's
        end moves to the new token's expiry."""
        self.principal = principal
        self._arm_expiry()

    def _arm_expiry(self) -> None:
        clock = expiry_clock()
        if self._expiry is not None:
            clock.cancel(self._expiry)
        # A ticket on the process's one expiry timer, not a timer (nor a sleeping task) per
        # connection idle for the token's lifetime.
        delay = max(0.0, self.principal.expires_at - time.time())
        self._expiry = clock.arm(delay, self._expire)

    def _expire(self) -> None:
        message = "access token expired; send auth or reconnect"
        self.end(UNAUTHORIZED, "token expired", protocol.error("token_expired", message))
