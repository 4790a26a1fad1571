"""Channel names (parsing is strict and canonical) and who may subscribe or chat."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.channels import (
    OPS,
    AccessDecision,
    Channel,
    ChannelKind,
    chat_channel,
    may_publish_chat,
    may_subscribe,
    order_channel,
    parse_channel,
    subscribe_decision,
    subscribe_refusal,
    track_channel,
    user_channel,
)
from domain.orders import OrderFacts, OrderStatus
from domain.roles import Actor, Role

CUSTOMER = Actor(user_id=10, role=Role.CUSTOMER)
OTHER_CUSTOMER = Actor(user_id=11, role=Role.CUSTOMER)
WASHER = Actor(user_id=20, role=Role.WASHER)
OTHER_WASHER = Actor(user_id=21, role=Role.WASHER)
ADMIN = Actor(user_id=1, role=Role.ADMIN)
SYSTEM = Actor(user_id=None, role=Role.SYSTEM)
ACTORS = {
    "customer_owner": CUSTOMER,
    "other_customer": OTHER_CUSTOMER,
    "washer_owner": WASHER,
    "other_washer": OTHER_WASHER,
    "admin": ADMIN,
    "system": SYSTEM,
}


def order(status: OrderStatus, order_id: int = 42) -> OrderFacts:
    washer_id = None if status == OrderStatus.PENDING else 20
    return OrderFacts(order_id=order_id, status=status, customer_id=10, washer_id=washer_id)


@pytest.mark.parametrize(
    ("name", "channel"),
    [
        ("order:42", Channel(ChannelKind.ORDER, 42)),
        ("order:42:track", Channel(ChannelKind.ORDER_TRACK, 42)),
        ("order:42:chat", Channel(ChannelKind.ORDER_CHAT, 42)),
        ("user:7", Channel(ChannelKind.USER, 7)),
        ("ops", Channel(ChannelKind.OPS, None)),
        ("order:9223372036854775807", Channel(ChannelKind.ORDER, 2**63 - 1)),
    ],
)
def test_parse_valid_names_round_trip(name: str, channel: Channel) -> None:
    assert parse_channel(name) == channel
    assert channel.name == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "ops:1",
        "OPS",
        "order",
        "order:",
        "order:0",
        "order:042",
        "order:-1",
        "order:+1",
        "order:1.0",
        "order: 1",
        " order:1",
        "order:1 ",
        "order:1\n",
        "order::1",
        "order:1:",
        "order:1:trak",
        "order:1:track:x",
        "order:1:chat:track",
        "ORDER:1",
        "orders:1",
        "user",
        "user:abc",
        "user:0",
        "user:1:chat",
        "user:1:track",
        "order:\u0661",  # Arabic-Indic digit one
        "order:9223372036854775808",  # past a bigint
        "order:" + "9" * 70,  # too long
        "user:1\x00",
    ],
)
def test_parse_rejects_unknown_names(name: str) -> None:
    with pytest.raises(ValueError, match=r"^unknown channel"):
        parse_channel(name)


def test_constructors_and_properties() -> None:
    assert order_channel(5) == Channel(ChannelKind.ORDER, 5)
    assert track_channel(5).name == "order:5:track"
    assert chat_channel(5).name == "order:5:chat"
    assert user_channel(7).name == "user:7"
    assert OPS.name == "ops"
    assert [c.is_lossy for c in (order_channel(5), track_channel(5), chat_channel(5))] == [
        False,
        True,
        False,
    ]
    assert [
        c.is_database_backed for c in (order_channel(5), track_channel(5), chat_channel(5))
    ] == [
        True,
        False,
        True,
    ]
    assert not user_channel(7).is_lossy and not user_channel(7).is_database_backed
    assert not OPS.is_lossy and not OPS.is_database_backed
    assert [c.order_id for c in (order_channel(5), track_channel(5), chat_channel(5))] == [5, 5, 5]
    assert user_channel(7).order_id is None and OPS.order_id is None
    assert user_channel(7).user_id == 7 and order_channel(5).user_id is None


@pytest.mark.parametrize(
    ("kind", "target_id"),
    [
        (ChannelKind.OPS, 1),
        (ChannelKind.ORDER, None),
        (ChannelKind.USER, 0),
        (ChannelKind.ORDER, -3),
    ],
)
def test_channel_invariants(kind: ChannelKind, target_id: int | None) -> None:
    with pytest.raises(ValueError):
        Channel(kind, target_id)


# order:{id} and order:{id}:chat, for an assigned order (customer 10, washer 20)
ORDER_AND_CHAT_ACCESS = {
    "customer_owner": True,
    "other_customer": False,
    "washer_owner": True,
    "other_washer": False,
    "admin": True,
    "system": True,
}


@pytest.mark.parametrize("make_channel", [order_channel, chat_channel])
@pytest.mark.parametrize(("actor_name", "expected"), ORDER_AND_CHAT_ACCESS.items())
def test_order_and_chat_access(
    actor_name: str, expected: bool, make_channel: Callable[[int], Channel]
) -> None:
    channel = make_channel(42)
    assert may_subscribe(ACTORS[actor_name], channel, order(OrderStatus.ASSIGNED)) is expected


@pytest.mark.parametrize("make_channel", [order_channel, chat_channel])
def test_pending_order_channels_are_not_open_to_washers(
    make_channel: Callable[[int], Channel],
) -> None:
    channel = make_channel(42)
    assert not may_subscribe(WASHER, channel, order(OrderStatus.PENDING))
    assert may_subscribe(CUSTOMER, channel, order(OrderStatus.PENDING))


# order:{id}:track by status: who may watch the washer
TRACK_ACCESS = {
    #               customer_owner  washer_owner  other_customer  admin
    "pending":      (False,         False,        False,          True),
    "assigned":     (True,          True,         False,          True),
    "en_route":     (True,          True,         False,          True),
    "arrived":      (True,          True,         False,          True),
    "in_progress":  (False,         False,        False,          True),
    "completed":    (False,         False,        False,          True),
    "cancelled":    (False,         False,        False,          True),
    "no_show":      (False,         False,        False,          True),
}  # fmt: skip


@pytest.mark.parametrize(("status", "expected"), TRACK_ACCESS.items())
def test_track_access_by_status(status: str, expected: tuple[bool, bool, bool, bool]) -> None:
    facts = order(OrderStatus(status))
    actors = (CUSTOMER, WASHER, OTHER_CUSTOMER, ADMIN)
    got = tuple(may_subscribe(actor, track_channel(42), facts) for actor in actors)
    assert got == expected


@pytest.mark.parametrize("actor", list(ACTORS.values()), ids=list(ACTORS))
@pytest.mark.parametrize("make_channel", [order_channel, track_channel, chat_channel])
def test_missing_order_is_refused_for_everyone(
    actor: Actor, make_channel: Callable[[int], Channel]
) -> None:
    assert not may_subscribe(actor, make_channel(42), None)


def test_facts_of_another_order_never_grant_access() -> None:
    assert not may_subscribe(ADMIN, order_channel(43), order(OrderStatus.ASSIGNED, order_id=42))


@pytest.mark.parametrize(
    ("actor_name", "own", "other"),
    [
        ("customer_owner", True, False),
        ("washer_owner", True, False),
        ("admin", True, True),
        ("system", False, True),
    ],
)
def test_user_channel_access(actor_name: str, own: bool, other: bool) -> None:
    actor = ACTORS[actor_name]
    if actor.user_id is not None:
        assert may_subscribe(actor, user_channel(actor.user_id), None) is own
    assert may_subscribe(actor, user_channel(999), None) is other


@pytest.mark.parametrize(
    ("actor_name", "expected"),
    [
        ("customer_owner", False),
        ("washer_owner", False),
        ("admin", True),
        ("system", True),
    ],
)
def test_ops_access(actor_name: str, expected: bool) -> None:
    assert may_subscribe(ACTORS[actor_name], OPS, None) is expected


def test_subscribe_decision() -> None:
    assert subscribe_decision(ADMIN, OPS, None) is AccessDecision.ALLOW
    assert subscribe_decision(CUSTOMER, OPS, None) is AccessDecision.FORBIDDEN
    assert AccessDecision.FORBIDDEN == "forbidden"


def test_track_refusal_says_track_unavailable_only_to_who_sees_the_order() -> None:
    pending = order(OrderStatus.PENDING)
    assert subscribe_refusal(CUSTOMER, track_channel(42), pending) == "track_unavailable"
    assert subscribe_refusal(OTHER_CUSTOMER, track_channel(42), pending) == "forbidden"
    assert subscribe_refusal(CUSTOMER, track_channel(42), None) == "forbidden"
    assert subscribe_refusal(CUSTOMER, order_channel(43), pending) == "forbidden"
    assert subscribe_refusal(CUSTOMER, order_channel(42), pending) is None
    assert subscribe_refusal(CUSTOMER, track_channel(42), order(OrderStatus.EN_ROUTE)) is None


CHAT_PUBLISH = {
    "customer_owner": True,
    "other_customer": False,
    "washer_owner": True,
    "other_washer": False,
    "admin": True,
    "system": False,
}


@pytest.mark.parametrize(("actor_name", "expected"), CHAT_PUBLISH.items())
def test_may_publish_chat(actor_name: str, expected: bool) -> None:
    assert may_publish_chat(ACTORS[actor_name], order(OrderStatus.EN_ROUTE)) is expected


def test_unassigned_washer_may_not_chat_on_a_pending_order() -> None:
    assert not may_publish_chat(WASHER, order(OrderStatus.PENDING))


def test_a_zone_channel_is_named_by_its_h3_cell_and_is_lossy() -> None:
    from domain.channels import zone_channel

    channel = zone_channel("87489e346ffffff")
    assert channel.name == "zone:87489e346ffffff"
    assert parse_channel(channel.name) == channel
    assert channel.zone == "87489e346ffffff"
    assert channel.is_lossy and not channel.is_database_backed


@pytest.mark.parametrize(
    "name", ["zone:87489E346FFFFFF", "zone:8ffffffffffffff", "zone:87489e346ffff", "zone:"]
)
def test_a_zone_channel_needs_a_canonical_cell(name: str) -> None:
    with pytest.raises(ValueError):
        parse_channel(name)


def test_anyone_signed_in_may_follow_a_zone_price() -> None:
    from domain.channels import zone_channel
    from domain.roles import Actor, Role

    zone = zone_channel("87489e346ffffff")
    for role in (Role.CUSTOMER, Role.WASHER, Role.ADMIN):
        assert may_subscribe(Actor(user_id=3, role=role), zone, None)
