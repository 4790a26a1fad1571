"""Where an accepted fix goes live: the geo index, and the order's track when it has one.

Done one by one that is two Redis round trips per fix (the geo index's writes, then the track
event's publish script), and the location pipeline's hot path is mostly those round trips'
client-side cost. `RedisFixWriter` makes them one: a single script that writes the geo
index and then publishes the event exactly as `RedisBroker.publish` does (history, id,
pub/sub). `SeparateFixWriter` does the two calls through any geo index and hub (embedded
mode, the tests' in-process broker).

Either way Redis being away costs the map and the track this fix, never the fix itself: a
writer swallows `BrokerUnavailable`, the fix is still accepted and kept as a track point.
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

from domain.events import ORDER_LOCATION
from domain.location import LocationFix
from realtime.broker import BrokerUnavailable
from realtime.geo_index import GeoIndex, RedisGeoIndex
from realtime.hub import Hub
from realtime.redis_broker import RedisBroker
from realtime.redis_scripts import GEO_UPDATE_THEN_PUBLISH


class FixWriter(Protocol):
    async def write(
        self, washer_id: int, fix: LocationFix, track_channel: str | None, track: Any
    ) -> None:
        """Index `fix`; publish `track` as `order.location` on `track_channel` if given.
        Never raises `BrokerUnavailable`."""


class SeparateFixWriter:
    """The geo index's update, then the hub's publish: any index, any broker."""

    def __init__(self, geo: GeoIndex, hub: Hub) -> None:
        self._geo = geo
        self._hub = hub

    async def write(
        self, washer_id: int, fix: LocationFix, track_channel: str | None, track: Any
    ) -> None:
        with contextlib.suppress(BrokerUnavailable):
            await self._geo.update(washer_id, fix)
        if track_channel is not None:
            with contextlib.suppress(BrokerUnavailable):
                await self._hub.publish(track_channel, ORDER_LOCATION, track)


class RedisFixWriter:
    """Geo index and track event in one script, one round trip, on the broker's pool.

    The script touches the geo keys and the channel's keys together, so they must live on
    one Redis node (as the geo index's own keys already must)."""

    def __init__(self, broker: RedisBroker, geo: RedisGeoIndex) -> None:
        self._broker = broker
        self._geo = geo
        self._script = broker.register_script(GEO_UPDATE_THEN_PUBLISH)

    async def write(
        self, washer_id: int, fix: LocationFix, track_channel: str | None, track: Any
    ) -> None:
        with contextlib.suppress(BrokerUnavailable):
            if track_channel is None:
                await self._geo.update(washer_id, fix)
                return
            await self._broker.publish_after(
                self._script,
                track_channel,
                ORDER_LOCATION,
                track,
                self._geo.update_keys,
                self._geo.update_args(washer_id, fix),
            )
