"""The AsyncAPI 3.0 document of the live protocol, served at `/asyncapi.json`.

It is made from the very types the server speaks with, never kept by hand: the client ops
`realtime.protocol` decodes, the frames it encodes, the event names of `domain.events` and
the limits of `Settings`. docs/protocol.md tells the same story in prose.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
from litestar import get

from app.live.share_stream import END, LOCATION, SNAPSHOT, STATUS
from app.schemas.shares import SharedOrder, SharedPosition, SharedStatus
from domain import events
from domain.event_data import DATA_BY_EVENT
from persistence.notifications import NOTIFICATION_ID
from realtime.protocol import CLIENT_OPS, SERVER_FRAMES

SUBPROTOCOL = "washline.v1"
REF = "#/components/schemas/{name}"

EVENTS_BY_STREAM: dict[str, tuple[str, ...]] = {
    "order": (events.ORDER_CREATED, events.ORDER_STATUS),
    "order_track": (events.ORDER_LOCATION,),
    "order_chat": (events.CHAT_MESSAGE, events.CHAT_TYPING, events.CHAT_READ),
    "user": (
        events.NOTIFICATION,
        events.DISPATCH_OFFER,
        events.DISPATCH_OFFER_WITHDRAWN,
        events.ORDER_CREATED,  # a copy of each of the user's own orders' events
        events.ORDER_STATUS,
    ),
    "ops": (
        events.ORDER_CREATED,
        events.ORDER_STATUS,
        events.WASHER_POSITION,
        events.KPI_TICK,
        events.SURGE_ZONES,
    ),
    "audit": (events.AUDIT_ENTRY,),
    "zone": (events.SURGE_ZONE,),
}
"""Which events each kind of channel carries (channel names: docs/protocol.md)."""

DATA_TYPES = DATA_BY_EVENT
"""Events whose `data` the server builds from a struct: documented with its schema."""

SSE_STREAMS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "orderEvents": (
        "/api/orders/{order_id}/events",
        "An order's status, chat and, while the washer is on the way, its track",
        ("order", "order_chat", "order_track"),
    ),
    "myEvents": ("/api/me/events", "The caller's notifications and offers", ("user",)),
    "adminStream": ("/api/admin/stream", "Everything admins watch", ("ops",)),
    "auditEvents": ("/api/admin/audit/events", "The audit trail as it is written", ("audit",)),
    "pricingStream": (
        "/api/pricing/stream",
        "The live surge price of the zone of `?lat=&lng=`",
        ("zone",),
    ),
}


def _tag(kind: type[msgspec.Struct]) -> str:
    return str(kind.__struct_config__.tag)


def _event_message(name: str) -> dict[str, Any]:
    """An event: the `EventFrame` schema with its `event` fixed to `name` (and its `data`
    typed when the server builds it from a struct)."""
    fixed: dict[str, Any] = {"event": {"const": name}}
    if name in DATA_TYPES:
        fixed["data"] = {"$ref": REF.format(name=DATA_TYPES[name].__name__)}
    return {
        "name": name,
        "title": name,
        "summary": f"`{name}` event",
        "payload": {
            "allOf": [
                {"$ref": REF.format(name="EventFrame")},
                {"type": "object", "properties": fixed},
            ]
        },
    }


NOTICE_KINDS = frozenset({"user"})
"""Channels whose every event is a stored notification: its data adds `notification_id`."""

_NOTICE = {
    "type": "object",
    "properties": {NOTIFICATION_ID: {"type": "integer"}},
    "required": [NOTIFICATION_ID],
}


def _notice_message(name: str) -> dict[str, Any]:
    """An event on `user:{id}`: its usual data, plus the stored notification's id."""
    message = _event_message(name)
    fixed = message["payload"]["allOf"][1]["properties"]
    fixed["data"] = {"allOf": [fixed["data"], _NOTICE]} if "data" in fixed else _NOTICE
    return {**message, "summary": f"`{name}` event, stored as a notification"}


def _message_key(kind: str, name: str) -> str:
    prefix = "notice" if kind in NOTICE_KINDS else "event"
    return f"{prefix}_{name.replace('.', '_')}"


def _ref(path: str) -> dict[str, str]:
    return {"$ref": path}


@cache
def document() -> dict[str, Any]:
    """The whole AsyncAPI document (the same for every server: built once)."""
    _, schemas = msgspec.json.schema_components(
        [*CLIENT_OPS, *SERVER_FRAMES, *dict.fromkeys(DATA_TYPES.values()), *SHARE_PAYLOADS],
        ref_template=REF,
    )
    messages: dict[str, Any] = {}
    for op in CLIENT_OPS:
        name = _tag(op)
        messages[f"op_{name}"] = {
            "name": name,
            "title": f"{name} op",
            "summary": (op.__doc__ or f"The `{name}` op").strip().splitlines()[0],
            "payload": _ref(REF.format(name=op.__name__)),
        }
    for frame in SERVER_FRAMES:
        name = _tag(frame)
        messages[f"frame_{name}"] = {
            "name": name,
            "title": f"{name} frame",
            "summary": (frame.__doc__ or name).strip().splitlines()[0],
            "payload": _ref(REF.format(name=frame.__name__)),
        }
    every_event = sorted(events.ALL_EVENT_TYPES)
    for name in every_event:
        messages[f"event_{name.replace('.', '_')}"] = _event_message(name)
    for kind in sorted(NOTICE_KINDS):
        for name in EVENTS_BY_STREAM[kind]:
            messages[_message_key(kind, name)] = _notice_message(name)

    def message_refs(keys: list[str]) -> dict[str, Any]:
        return {key: _ref(f"#/components/messages/{key}") for key in keys}

    op_keys = [f"op_{_tag(op)}" for op in CLIENT_OPS]
    frame_keys = [f"frame_{_tag(frame)}" for frame in SERVER_FRAMES]
    channels: dict[str, Any] = {
        "ws": {
            "address": "/ws",
            "title": "The WebSocket",
            "description": (
                f"Subprotocols `{SUBPROTOCOL}, bearer.<access token>` (or "
                "`Authorization: Bearer`, or `?token=`). Client ops in; replies, errors, "
                "events, resets and unsubscribed notices out, one JSON object a frame."
            ),
            "messages": message_refs(op_keys + frame_keys),
            "bindings": {"ws": {"method": "GET"}},
        }
    }
    operations: dict[str, Any] = {
        "sendOp": {
            "action": "send",
            "channel": _ref("#/channels/ws"),
            "summary": "A client op; the server answers `reply` or `error` with its `ref`",
            "messages": [_ref(f"#/channels/ws/messages/{key}") for key in op_keys],
        },
        "receiveFrame": {
            "action": "receive",
            "channel": _ref("#/channels/ws"),
            "summary": "Frames from the server; `event` frames carry the events below",
            "messages": [_ref(f"#/channels/ws/messages/{key}") for key in frame_keys],
        },
    }
    for key, (address, title, kinds) in SSE_STREAMS.items():
        event_keys = sorted(
            {_message_key(kind, name) for kind in kinds for name in EVENTS_BY_STREAM[kind]}
        )
        channel: dict[str, Any] = {
            "address": address,
            "title": title,
            "description": (
                "Server-sent events (`text/event-stream`): `event:` is the event name, "
                "`data:` the envelope (an `event` frame without `type`), `id:` its position; "
                "resume with `Last-Event-ID`. A last `end` event carries an `error` frame."
            ),
            "messages": message_refs(event_keys),
        }
        if "{order_id}" in address:
            channel["parameters"] = {"order_id": {"description": "the order's id"}}
        channels[key] = channel
        operations[f"receive_{key}"] = {
            "action": "receive",
            "channel": _ref(f"#/channels/{key}"),
            "messages": [_ref(f"#/channels/{key}/messages/{k}") for k in event_keys],
        }
    _add_share_stream(channels, operations, messages)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Washline live protocol",
            "version": SUBPROTOCOL,
            "description": (
                "The WebSocket `/ws` and the SSE streams. Events per channel: "
                + "; ".join(
                    f"{kind}: {', '.join(names)}" for kind, names in EVENTS_BY_STREAM.items()
                )
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "live": {
                "host": "{host}",
                "protocol": "ws",
                "variables": {"host": {"default": "127.0.0.1:8000"}},
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


SHARE_PAYLOADS = (SharedOrder, SharedStatus, SharedPosition)
SHARE_MESSAGES: dict[str, tuple[str, str]] = {
    SNAPSHOT: ("SharedOrder", "Everything the link shows now; first on every (re)connection"),
    STATUS: ("SharedStatus", "The order moved on"),
    LOCATION: ("SharedPosition", "The washer's new position and ETA"),
    END: ("ErrorFrame", "The last event: the link stopped working (`share_ended`)"),
}


def _add_share_stream(
    channels: dict[str, Any], operations: dict[str, Any], messages: dict[str, Any]
) -> None:
    """The share link's stream: no account, its own events, whose `data:` is the object
    itself (no envelope, no ids: every connection starts with a fresh snapshot)."""
    keys = []
    for name, (schema, summary) in SHARE_MESSAGES.items():
        key = f"share_{name.replace('share.', '')}"
        messages[key] = {
            "name": name,
            "title": name,
            "summary": summary,
            "payload": _ref(REF.format(name=schema)),
        }
        keys.append(key)
    channels["shareEvents"] = {
        "address": "/api/share/{token}/events",
        "title": "A share link's live view of one order (no account; the token is the key)",
        "description": (
            "Server-sent events: `event:` is the name, `data:` the object. No names, no "
            "address (the destination is a rounded pin), nothing about the customer; "
            "rate-limited per client address (429 `rate_limited`). docs/protocol.md, "
            "Share links."
        ),
        "parameters": {"token": {"description": "the share link's token"}},
        "messages": {key: _ref(f"#/components/messages/{key}") for key in keys},
    }
    operations["receive_shareEvents"] = {
        "action": "receive",
        "channel": _ref("#/channels/shareEvents"),
        "messages": [_ref(f"#/channels/shareEvents/messages/{key}") for key in keys],
    }


@get("/asyncapi.json", include_in_schema=False, sync_to_thread=False)
def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI document, for code generators and for people."""
    return document()
