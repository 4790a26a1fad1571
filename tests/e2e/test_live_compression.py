"""permessage-deflate is a setting: off by default, so a browser's offer is declined and
every event is encoded once for all sockets; on, the server negotiates it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import websockets

from domain.roles import Role


@pytest.mark.parametrize(("setting", "negotiated"), [(None, False), ("true", True)])
async def test_deflate_is_negotiated_only_when_the_setting_allows_it(
    start_server: Any, make_account: Any, sqlite_url: str, setting: str | None, negotiated: bool
) -> None:
    env = {"WS_PERMESSAGE_DEFLATE": setting} if setting is not None else {}
    server = start_server(sqlite_url, **env)
    admin = await make_account(server, sqlite_url, Role.ADMIN)
    # The websockets client offers permessage-deflate by default, as browsers do.
    async with websockets.connect(f"{server.ws_url}?token={admin.token}") as connection:
        accepted = connection.response.headers.get("Sec-WebSocket-Extensions") or ""
        assert ("permessage-deflate" in accepted) is negotiated
        await connection.send(json.dumps({"op": "subscribe", "channel": "ops", "ref": 1}))
        assert json.loads(await connection.recv())["ok"] is True
