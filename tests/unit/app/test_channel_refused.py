"""A refused channel subscription is a domain refusal of the kind its code names."""

from __future__ import annotations

from app.live.access import ChannelRefused
from domain.errors import Refusal, RefusalKind


def test_a_channel_refusal_is_a_refusal() -> None:
    refused = ChannelRefused("forbidden", "you may not subscribe to this channel")
    assert isinstance(refused, Refusal)
    assert (refused.code, refused.message, str(refused)) == (
        "forbidden",
        "you may not subscribe to this channel",
        "you may not subscribe to this channel",
    )
    assert refused.kind is RefusalKind.FORBIDDEN


def test_a_bad_channel_name_is_an_invalid_refusal() -> None:
    assert ChannelRefused("bad_channel", "unknown channel name").kind is RefusalKind.INVALID
