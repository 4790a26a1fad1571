"""Presence of live connections: who listens to a channel, and which washers are online.

Every subscription (WebSocket or SSE) joins its channel's presence; a washer's WebSocket also
joins `presence:washers`. Entries are per connection (a user may be connected twice, to two
processes) and lapse on their own when a process dies, because they live only as long as the
process's heartbeat keeps refreshing them (`PRESENCE_TTL_SECONDS`). Updates are best effort:
while Redis is down they are skipped and the next heartbeat puts them back.
"""

from __future__ import annotations

from typing import Any

from litestar import get

from app.dependencies import Injected
from app.http.answers import BAD_CHANNEL, PRESENCE_DOWN
from app.http.auth import admin_only
from app.http.errors import ApiError, redis_down_headers
from app.lifecycle import Runtime
from domain.channels import parse_channel
from domain.roles import Role
from realtime.broker import BrokerUnavailable
from realtime.presence import WASHERS_ONLINE


async def _members(runtime: Runtime, key: str) -> dict[str, dict[str, Any]]:
    try:
        return await runtime.presence.members(key)
    except BrokerUnavailable:
        raise ApiError(
            503,
            "presence_unavailable",
            "presence is unavailable right now",
            headers=redis_down_headers(),
        ) from None


@get(
    "/api/admin/presence",
    guards=[admin_only],
    tags=["live"],
    refuses=(PRESENCE_DOWN, BAD_CHANNEL),
    summary="Connections subscribed to a channel (or `presence:washers`: washers online)",
)
async def channel_presence(runtime: Injected[Runtime], channel: str) -> dict[str, Any]:
    if channel != WASHERS_ONLINE:
        try:
            parse_channel(channel)
        except ValueError:
            raise ApiError(400, "bad_channel", "unknown channel name") from None
    members = await _members(runtime, channel)
    return {
        "channel": channel,
        "members": [{"client_id": client, **info} for client, info in sorted(members.items())],
    }


@get(
    "/api/admin/washers/online",
    guards=[admin_only],
    tags=["live"],
    refuses=(PRESENCE_DOWN,),
    summary="Washers whose app holds a live connection, with how many connections each",
)
async def washers_online(runtime: Injected[Runtime]) -> dict[str, Any]:
    members = await _members(runtime, WASHERS_ONLINE)
    connections: dict[int, int] = {}
    for info in members.values():
        if info.get("role") == Role.WASHER.value:
            user_id = int(info["user_id"])
            connections[user_id] = connections.get(user_id, 0) + 1
    return {
        "washers": [
            {"user_id": user_id, "connections": count}
            for user_id, count in sorted(connections.items())
        ]
    }


__all__ = ["WASHERS_ONLINE", "channel_presence", "washers_online"]
