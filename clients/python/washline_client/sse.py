"""The listening fallback: the server's SSE streams, for networks that refuse WebSockets.

Each channel belongs to one stream: `order:{id}`, its chat and its track to
`/api/orders/{id}/events`, the caller's `user:{id}` to `/api/me/events`, `ops` to
`/api/admin/stream`. A stream is (re)opened with `last_event_id` built from the SDK's own
per-channel positions, in the server's `channel@id,...` form, so it resumes exactly where the
app's events stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from washline_client.errors import ApiError

END_EVENT = "end"
Frame = dict[str, Any]


def stream_path(channel: str, user_id: int) -> str | None:
    """The SSE route that carries `channel` for this user, or None when none does."""
    kind, _, rest = channel.partition(":")
    if kind == "order" and rest:
        return f"/api/orders/{rest.split(':')[0]}/events"
    if channel == f"user:{user_id}":
        return "/api/me/events"
    if channel == "ops":
        return "/api/admin/stream"
    return None


def last_event_id(path: str, positions: dict[str, str], channels: Iterable[str]) -> str:
    """The resume position of a stream: a plain id for single-channel streams, `c@id,...` for
    an order's stream."""
    known = [(c, positions[c]) for c in sorted(channels) if c in positions]
    if not path.endswith("/events") or path == "/api/me/events":
        return known[0][1] if known else ""
    return ",".join(f"{channel}@{position}" for channel, position in known)


async def read_stream(
    http: httpx.AsyncClient,
    path: str,
    token: str,
    resume_from: str,
    on_frame: Callable[[Frame], None],
    on_open: Callable[[], None],
    read_timeout: float,
) -> Frame | None:
    """Read one stream until it ends. Returns the `end` event's error frame when the server
    ended it on purpose (`token_expired`, `forbidden`), None when it just stopped."""
    params = {"last_event_id": resume_from} if resume_from else {}
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    timeout = httpx.Timeout(http.timeout.connect, read=read_timeout)
    request = http.build_request("GET", path, params=params, headers=headers, timeout=timeout)
    response = await http.send(request, stream=True)
    try:
        if response.status_code >= 400:
            await response.aread()
            try:
                body = response.json()
                code, message = str(body["code"]), str(body.get("message", ""))
            except (ValueError, KeyError, TypeError):
                code, message = "http_error", response.text[:200]
            raise ApiError(response.status_code, code, message)
        on_open()
        name, data = "", list[str]()
        async for line in response.aiter_lines():
            if line == "":
                if data:
                    frame = _decode("\n".join(data))
                    if name == END_EVENT:
                        return frame or {"code": "ended", "message": ""}
                    if frame is not None:
                        frame.setdefault("type", "event")  # SSE envelopes carry no `type`
                        on_frame(frame)
                name, data = "", []
            elif line.startswith(":"):
                continue  # a keep-alive comment
            else:
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
        return None
    finally:
        await response.aclose()


def _decode(text: str) -> Frame | None:
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None
