"""How the live core treats a channel, looked up once per channel, never per message.

The rule itself lives in ``domain.channels``; this adapter keeps the brokers and the hub
independent of the domain's richer ``Channel`` type and lets tests name simple channels.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from domain.channels import parse_channel


class ChannelTraits(NamedTuple):
    lossy: bool
    """Latest wins: coalesce under pressure, keep a history of one, never reset."""
    database_backed: bool
    """Ids are database sequence numbers passed by the publisher; resume falls back to the DB."""


ChannelClassifier = Callable[[str], ChannelTraits]

PROBE_CHANNEL = "_probe"
"""The delivery probe's private channel (`app.workers.probe`): brokers carry it, but no
client can name it, since ``domain.channels`` refuses it like any unknown name."""
_PROBE_TRAITS = ChannelTraits(lossy=True, database_backed=False)


@lru_cache(maxsize=16384)
def domain_traits(name: str) -> ChannelTraits:
    """Traits from ``domain.channels``; raises ``ValueError`` for an unknown channel name.

    Remembered per name (a name's traits never change): every publish classifies its
    channel, and parsing the name each time (a regex and a `Channel`) was ~2.5 % of the
    server's samples at 1,000 location fixes/s, one publish per fix. Bounded, since order
    channels come and go; a refused name raises and is not remembered."""
    if name == PROBE_CHANNEL:
        return _PROBE_TRAITS
    channel = parse_channel(name)
    return ChannelTraits(lossy=channel.is_lossy, database_backed=channel.is_database_backed)


def order_id_of(name: str) -> int | None:
    """The order id of an order channel's wire name, without building a Channel: the live
    session asks it of every channel it holds when an order's facts change."""
    if not name.startswith("order:"):
        return None
    digits = name[6:].split(":", 1)[0]
    return int(digits) if digits.isdigit() else None
