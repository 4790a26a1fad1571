"""The control channel is known to the brokers only: reliable, not database-backed, and
an `AccessEnded` crosses the wire (msgspec builtins) unchanged."""

from __future__ import annotations

import msgspec
import pytest

from realtime.channel_traits import ChannelTraits, domain_traits
from realtime.control import (
    CONTROL_CHANNEL,
    AccessEnded,
    EndReason,
    with_control,
)


def test_the_control_channel_is_reliable_and_not_database_backed() -> None:
    traits = with_control()(CONTROL_CHANNEL)
    assert traits == ChannelTraits(lossy=False, database_backed=False)


@pytest.mark.parametrize("channel", ["order:42", "order:42:track", "user:7", "ops", "audit"])
def test_other_channels_are_classified_as_the_wrapped_classifier_says(channel: str) -> None:
    assert with_control()(channel) == domain_traits(channel)


def test_the_wrapped_classifier_is_not_asked_about_the_control_channel() -> None:
    asked: list[str] = []

    def classify(name: str) -> ChannelTraits:
        asked.append(name)
        return ChannelTraits(lossy=True, database_backed=True)

    traits = with_control(classify)
    assert traits(CONTROL_CHANNEL).lossy is False
    assert traits("anything") == ChannelTraits(lossy=True, database_backed=True)
    assert asked == ["anything"]


def test_the_control_channel_is_not_a_name_clients_can_subscribe_to() -> None:
    from domain.channels import parse_channel

    with pytest.raises(ValueError):
        parse_channel(CONTROL_CHANNEL)


@pytest.mark.parametrize(
    "ended",
    [
        AccessEnded(user_id=7),
        AccessEnded(user_id=7, session_ids=("a", "b"), reason=EndReason.PASSWORD_CHANGED),
        AccessEnded(user_id=7, session_ids=(), reason=EndReason.ACCOUNT_ERASED),
    ],
)
def test_access_ended_survives_a_round_trip_through_the_wire(ended: AccessEnded) -> None:
    wire = msgspec.json.encode(msgspec.to_builtins(ended))
    assert msgspec.convert(msgspec.json.decode(wire), AccessEnded) == ended


def test_access_ended_defaults_to_every_session_revoked() -> None:
    ended = msgspec.convert({"user_id": 3}, AccessEnded)
    assert ended.session_ids is None
    assert ended.reason == "session_revoked"


def test_a_malformed_access_ended_is_refused() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"user_id": "seven"}, AccessEnded)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"session_ids": ["a"]}, AccessEnded)


def test_end_reasons_are_the_wire_strings_clients_read() -> None:
    assert {reason.value for reason in EndReason} == {
        "session_revoked",
        "password_changed",
        "account_deactivated",
        "account_erased",
    }
