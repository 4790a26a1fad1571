"""How the live core reads a channel name (`realtime.channel_traits`): the order an order
channel belongs to, without building a Channel, and the traits the domain gives a channel."""

from __future__ import annotations

import pytest

from realtime.channel_traits import PROBE_CHANNEL, domain_traits, order_id_of


@pytest.mark.parametrize(
    ("name", "order_id"),
    [
        ("order:42", 42),
        ("order:42:track", 42),
        ("order:42:chat", 42),
        ("order:x", None),
        ("order:", None),
        ("user:42", None),
        ("ops", None),
    ],
)
def test_the_order_of_a_channel_name(name: str, order_id: int | None) -> None:
    assert order_id_of(name) == order_id


def test_the_track_is_lossy_and_the_order_channel_database_backed() -> None:
    track, order = domain_traits("order:1:track"), domain_traits("order:1")
    assert track.lossy and not track.database_backed
    assert order.database_backed and not order.lossy
    assert domain_traits(PROBE_CHANNEL).lossy
    with pytest.raises(ValueError):
        domain_traits("nonsense")
