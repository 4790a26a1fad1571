"""A session the server ends mid-stream (an admin revokes the user's sessions): the Python
SDK's live connection stops for good, tells the app once (`on_ended` and `SessionEnded`
from `next()`), and neither reconnects nor refreshes the token, over the WebSocket (error
frame, then close 4001) and over SSE (the `end` event) alike."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from washline_client import ACCESS_REVOKED, SessionEnded

from domain.roles import Role
from tests.support.polling import poll_until
from tests.support.sdk import sdk_client

QUIET_SECONDS = 3.0
"""Long enough for a reconnect to have happened (the backoff starts well below a second)."""


@pytest.mark.parametrize("transport", ["ws", "sse"])
async def test_a_revoked_session_ends_the_live_connection_for_good(
    transport: str, start_server: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url)
    async with (
        sdk_client(server, postgres_url, Role.ADMIN) as admin,
        sdk_client(server, postgres_url, Role.CUSTOMER) as customer,
    ):
        told: list[SessionEnded] = []
        ended = asyncio.Event()

        async def on_ended(end: SessionEnded) -> None:
            told.append(end)
            ended.set()

        token_before = customer.tokens.pair.access_token
        live = customer.live(transport=transport, on_ended=on_ended)  # type: ignore[arg-type]
        async with live:
            await live.subscribe(f"user:{customer.user.id}")
            if transport == "sse":  # the stream is open before the session ends

                async def opened() -> int:
                    return live.connects

                await poll_until(opened, lambda connects: connects >= 1, within=20)
            await admin.call("DELETE", f"/api/admin/users/{customer.user.id}/sessions")

            await asyncio.wait_for(ended.wait(), 20)
            with pytest.raises(SessionEnded) as raised:
                await live.next(5)
            assert raised.value is live.ended
            connects = live.connects
            await asyncio.sleep(QUIET_SECONDS)
            assert live.connects == connects  # no reconnect
            with pytest.raises(SessionEnded):
                await live.next(1)  # asked again: still over
        assert len(told) == 1
        assert (told[0].code, told[0].reason) == (ACCESS_REVOKED, "session_revoked")
        assert customer.tokens.pair.access_token == token_before  # no refresh was tried
