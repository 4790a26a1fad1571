"""Presence, the geo index and the broker share the broker's connection pool. A Redis
restart leaves every pooled connection dead: the first call after it must retry on a fresh
connection instead of failing, and a call while Redis is down fails as `BrokerUnavailable`
(which every caller degrades on or answers 503 for), never as a raw Redis error."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.geo import LatLng
from domain.location import LocationFix
from realtime.broker import BrokerUnavailable
from realtime.geo_index import RedisGeoIndex
from realtime.redis_broker import RedisBroker
from realtime.redis_presence import RedisPresence
from tests.support.services import ThrowawayRedis

pytestmark = pytest.mark.redis

FIX = LocationFix(lat=59.33, lng=18.06, ts=datetime(2026, 1, 1, tzinfo=UTC))


def _calls(broker: RedisBroker, prefix: str) -> dict[str, Callable[[], Awaitable[Any]]]:
    presence = RedisPresence(broker.client, prefix=prefix)
    geo = RedisGeoIndex(broker.client, prefix=prefix)
    return {
        "presence.put": lambda: presence.put("presence:washers", "7:a", {"user_id": 7}, 30.0),
        "presence.members": lambda: presence.members("presence:washers"),
        "presence.remove": lambda: presence.remove("presence:washers", "7:a"),
        "geo.update": lambda: geo.update(7, FIX),
        "geo.last_fix": lambda: geo.last_fix(7),
        "geo.nearby": lambda: geo.nearby(LatLng(59.33, 18.06), 1000.0),
        "broker.publish": lambda: broker.publish("ops", "order.status", {"n": 1}),
        "broker.history": lambda: broker.history("ops", None, 0),
    }


async def _outcomes(calls: dict[str, Callable[[], Awaitable[Any]]]) -> dict[str, str]:
    outcomes = {}
    for name, call in calls.items():
        try:
            await call()
        except BrokerUnavailable:
            outcomes[name] = "unavailable"
        else:
            outcomes[name] = "ok"
    return outcomes


async def test_the_first_calls_after_a_restart_succeed_and_calls_during_it_degrade(
    redis_prefix: str,
) -> None:
    with ThrowawayRedis() as server:
        broker = RedisBroker(server.url, prefix=redis_prefix, max_connections=4)
        try:
            calls = _calls(broker, redis_prefix)
            # Fill the pool with several idle connections, all of which the restart kills.
            await asyncio.gather(*(call() for call in calls.values()))
            everything_ok = dict.fromkeys(calls, "ok")

            server.stop()
            server.start()
            after_restart = await _outcomes(calls)

            server.stop()
            during_outage = await _outcomes(calls)
            server.start()
            after_outage = await _outcomes(calls)
        finally:
            await broker.close()

    assert after_restart == everything_ok
    assert during_outage == dict.fromkeys(calls, "unavailable")
    assert after_outage == everything_ok
