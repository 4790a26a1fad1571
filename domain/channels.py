"""Channel names and who may subscribe to them (ARCHITECTURE.md, "Channels").

Access is decided once, at subscribe time, from facts the caller loaded; never per message.
"""

from __future__ import annotations

import re
from enum import StrEnum

import msgspec

from domain.order_transitions import FORBIDDEN
from domain.order_visibility import STAFF_ROLES, can_view_order, may_see_track
from domain.orders import OrderFacts
from domain.roles import Actor, Role
from domain.zones import is_zone

MAX_CHANNEL_NAME_LENGTH = 64
MAX_CHANNEL_ID = 2**63 - 1
"""Ids are PostgreSQL bigints; a larger number cannot name anything and is refused early."""


class ChannelKind(StrEnum):
    ORDER = "order"
    ORDER_TRACK = "order_track"
    ORDER_CHAT = "order_chat"
    USER = "user"
    OPS = "ops"
    AUDIT = "audit"
    ZONE = "zone"
    """A demand zone's live price (``zone:{h3 cell}``): lossy, latest wins."""


_SINGLETONS = frozenset({ChannelKind.OPS, ChannelKind.AUDIT})
"""Channels of one instance, named by their kind alone."""
_ORDER_KINDS = frozenset({ChannelKind.ORDER, ChannelKind.ORDER_TRACK, ChannelKind.ORDER_CHAT})
_ORDER_SUFFIX = {
    ChannelKind.ORDER: "",
    ChannelKind.ORDER_TRACK: ":track",
    ChannelKind.ORDER_CHAT: ":chat",
}
_KIND_BY_SUFFIX = {
    None: ChannelKind.ORDER,
    "track": ChannelKind.ORDER_TRACK,
    "chat": ChannelKind.ORDER_CHAT,
}
_ORDER_NAME = re.compile(r"order:([1-9][0-9]*)(?::(track|chat))?")
_USER_NAME = re.compile(r"user:([1-9][0-9]*)")
_ZONE_NAME = re.compile(r"zone:([0-9a-f]{15})")


class Channel(msgspec.Struct, frozen=True):
    """A channel; ``target_id`` is the order or user id, or the zone's H3 cell as a number;
    ``None`` only for ``ops``."""

    kind: ChannelKind
    target_id: int | None

    def __post_init__(self) -> None:
        if self.kind in _SINGLETONS:
            if self.target_id is not None:
                raise ValueError(f"the {self.kind} channel has no id")
        elif self.target_id is None or not 0 < self.target_id <= MAX_CHANNEL_ID:
            raise ValueError(f"a {self.kind} channel needs a positive id")

    @property
    def name(self) -> str:
        """The wire name, e.g. ``order:42:track``; ``parse_channel(c.name) == c``."""
        if self.kind in _SINGLETONS:
            return str(self.kind.value)
        if self.kind == ChannelKind.USER:
            return f"user:{self.target_id}"
        if self.kind == ChannelKind.ZONE:
            return f"zone:{self.target_id:015x}"
        return f"order:{self.target_id}{_ORDER_SUFFIX[self.kind]}"

    @property
    def is_lossy(self) -> bool:
        """Latest wins: a slow subscriber may skip events here (and keeps only the newest)."""
        return self.kind in (ChannelKind.ORDER_TRACK, ChannelKind.ZONE)

    @property
    def is_database_backed(self) -> bool:
        """Its event ids are database sequence numbers, so resume never needs a reset."""
        return self.kind in (ChannelKind.ORDER, ChannelKind.ORDER_CHAT)

    @property
    def order_id(self) -> int | None:
        return self.target_id if self.kind in _ORDER_KINDS else None

    @property
    def user_id(self) -> int | None:
        return self.target_id if self.kind == ChannelKind.USER else None

    @property
    def zone(self) -> str | None:
        """The H3 cell name of a zone channel."""
        return f"{self.target_id:015x}" if self.kind == ChannelKind.ZONE else None


OPS = Channel(ChannelKind.OPS, None)
AUDIT = Channel(ChannelKind.AUDIT, None)
"""The audit trail as it is written: admins only."""


def order_channel(order_id: int) -> Channel:
    return Channel(ChannelKind.ORDER, order_id)


def track_channel(order_id: int) -> Channel:
    return Channel(ChannelKind.ORDER_TRACK, order_id)


def chat_channel(order_id: int) -> Channel:
    return Channel(ChannelKind.ORDER_CHAT, order_id)


def user_channel(user_id: int) -> Channel:
    return Channel(ChannelKind.USER, user_id)


def zone_channel(zone: str) -> Channel:
    """The live price of a zone; ``zone`` must be an H3 cell name (``domain.zones``)."""
    if not is_zone(zone):
        raise ValueError(f"not a zone {zone!r}")
    return Channel(ChannelKind.ZONE, int(zone, 16))


def parse_channel(name: str) -> Channel:
    """Parse a wire name; anything not exactly canonical raises ``ValueError("unknown
    channel ...")`` so one channel never has two names (no signs, spaces or leading zeros)."""
    if isinstance(name, str) and len(name) <= MAX_CHANNEL_NAME_LENGTH:
        if name == "ops":
            return OPS
        if name == "audit":
            return AUDIT
        if match := _USER_NAME.fullmatch(name):
            return _build(ChannelKind.USER, match.group(1), name)
        if match := _ORDER_NAME.fullmatch(name):
            return _build(_KIND_BY_SUFFIX[match.group(2)], match.group(1), name)
        if (match := _ZONE_NAME.fullmatch(name)) and is_zone(match.group(1)):
            return Channel(ChannelKind.ZONE, int(match.group(1), 16))
    raise ValueError(f"unknown channel {str(name)[:MAX_CHANNEL_NAME_LENGTH]!r}")


def _build(kind: ChannelKind, digits: str, name: str) -> Channel:
    target_id = int(digits)
    if target_id > MAX_CHANNEL_ID:
        raise ValueError(f"unknown channel {name!r}")
    return Channel(kind, target_id)


class AccessDecision(StrEnum):
    ALLOW = "allow"
    FORBIDDEN = "forbidden"


def _is_staff(actor: Actor) -> bool:
    """Admins and the platform itself see everything."""
    return actor.role in STAFF_ROLES


def may_subscribe(actor: Actor, channel: Channel, order: OrderFacts | None) -> bool:
    """Whether ``actor`` may subscribe to ``channel``.

    For order channels pass the order's facts, or ``None`` when it does not exist; answer
    "forbidden" either way so a refusal does not reveal whether the order exists.
    """
    if channel.kind in _SINGLETONS:
        return _is_staff(actor)
    if channel.kind == ChannelKind.USER:
        return _is_staff(actor) or actor.user_id == channel.target_id
    if channel.kind == ChannelKind.ZONE:
        return True  # a zone's price is public to anyone signed in
    if order is None or order.order_id != channel.order_id:
        return False
    if channel.kind == ChannelKind.ORDER_TRACK:
        return may_see_track(actor, order)
    return can_view_order(actor, order)


def only_staff_may_open(actor: Actor, channel: Channel) -> bool:
    """Whether ``channel`` is open to ``actor`` by their staff role alone (``ops``, ``audit``,
    another user's notifications): what an admin who must pass a second factor, and did not, is
    refused, as the admin routes of REST refuse them."""
    if channel.kind in _SINGLETONS:
        return True
    return channel.kind == ChannelKind.USER and actor.user_id != channel.target_id


SECOND_FACTOR_REQUIRED = "second_factor_required"
"""The refusal of a staff-only channel to an admin without the second factor they need."""

TRACK_UNAVAILABLE = "track_unavailable"
"""The refusal of a track to someone who may see the order, but not its track now (the order
is not on the way yet, or any more); REST's `GET /api/orders/{id}/track` answers the same."""


def subscribe_refusal(actor: Actor, channel: Channel, order: OrderFacts | None) -> str | None:
    """Why ``actor`` may not subscribe to ``channel`` (``None``: it may), as the code a client
    branches on. Only someone who may see the order learns that its track is what is missing;
    anyone else gets ``forbidden``, whether or not the order exists."""
    if may_subscribe(actor, channel, order):
        return None
    if (
        channel.kind == ChannelKind.ORDER_TRACK
        and order is not None
        and order.order_id == channel.order_id
        and can_view_order(actor, order)
    ):
        return TRACK_UNAVAILABLE
    return FORBIDDEN


def subscribe_decision(actor: Actor, channel: Channel, order: OrderFacts | None) -> AccessDecision:
    """:func:`may_subscribe` as a value for transports that report decisions."""
    return (
        AccessDecision.ALLOW if may_subscribe(actor, channel, order) else AccessDecision.FORBIDDEN
    )


def may_publish_chat(actor: Actor, order: OrderFacts) -> bool:
    """Whoever can see the order may chat on it (its customer, its washer, admins), except
    the system, which sees everything but has nothing to say."""
    return actor.role != Role.SYSTEM and can_view_order(actor, order)
