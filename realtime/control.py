"""Control events between processes: what every process must do now, not what a client reads.

Ending an account's live access is the one today. Revoking a session, deactivating or erasing
an account or changing its password happens in one process, while the user's sockets and
streams may be held by any other; one small event on the control channel reaches them all
(Redis pub/sub, or the in-process broker when embedded). The channel is the brokers' only:
no client can name it, so it is never subscribed to, resumed or kept in history.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from realtime.channel_traits import ChannelClassifier, ChannelTraits, domain_traits

CONTROL_CHANNEL = "control:access"
ACCESS_ENDED_EVENT = "access.ended"
_CONTROL_TRAITS = ChannelTraits(lossy=False, database_backed=False)


class EndReason(StrEnum):
    """Why live access ended; the `reason` of the `access_revoked` frame a client gets."""

    SESSION_REVOKED = "session_revoked"
    PASSWORD_CHANGED = "password_changed"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    ACCOUNT_ERASED = "account_erased"


class AccessEnded(msgspec.Struct, frozen=True):
    """The live access of a user's sessions ended: ``session_ids`` names them (refresh-token
    families, the ``sid`` of their access tokens), ``None`` means every token of the
    account. ``ended_at`` (seconds since the epoch) is when; a receiver without it takes
    the time it heard of the end."""

    user_id: int
    session_ids: tuple[str, ...] | None = None
    reason: str = EndReason.SESSION_REVOKED
    ended_at: float | None = None


def with_control(classify: ChannelClassifier = domain_traits) -> ChannelClassifier:
    """``classify`` that also knows the control channel (the app's brokers use this)."""

    def traits(name: str) -> ChannelTraits:
        if name == CONTROL_CHANNEL:
            return _CONTROL_TRAITS
        return classify(name)

    return traits
