"""Ending a session, a password or an account ends its live connections on every process,
at once, and its access tokens stop opening anything: not when they expire.

Two real servers on one PostgreSQL and Redis: the change is made on A, the user's WebSocket
and SSE stream are held by B. Before, B went on streaming to them until the access token
expired, and the token kept working for REST calls and new sockets.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from domain.roles import Role
from tests.e2e.conftest import Account
from tests.e2e.streams import eventually, settle, sse_stream
from tests.support.database import PASSWORD
from tests.support.live import LiveClient, SseReader, live_client
from tests.support.server import ServerProcess

NEW_PASSWORD = "a-brand-new-passphrase-9"


@dataclass
class Live:
    """One session's WebSocket (subscribed to its user channel) and SSE stream."""

    socket: LiveClient
    stream: SseReader


async def _sse_members(api: httpx.AsyncClient, admin: Account, user_id: int) -> int:
    response = await api.get(
        "/api/admin/presence", params={"channel": f"user:{user_id}"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return sum(1 for m in response.json()["members"] if m["transport"] == "sse")


@contextlib.asynccontextmanager
async def live_on(
    server: ServerProcess, api: httpx.AsyncClient, admin: Account, user_id: int, token: str
) -> AsyncIterator[Live]:
    """A WebSocket and an SSE stream of the user's channel on `server`, both live."""
    headers = {"Authorization": f"Bearer {token}"}
    before = await _sse_members(api, admin, user_id)
    async with (
        live_client(server.ws_url, token) as socket,
        sse_stream(server.base_url, "/api/me/events", headers) as (stream, _),
    ):
        assert (await socket.subscribe(f"user:{user_id}"))["type"] == "reply"

        async def stream_joined() -> bool:
            return await _sse_members(api, admin, user_id) > before

        await eventually(stream_joined)
        yield Live(socket, stream)


async def assert_ended(live: Live, reason: str) -> None:
    """The socket closed with 4001 after an `access_revoked` frame; the stream's last event
    is `end` with the same frame."""
    assert await live.socket.wait_closed() == 4001
    [notice] = [f for f in live.socket.frames if f.get("code") == "access_revoked"]
    assert notice["type"] == "error" and notice["reason"] == reason, notice
    await eventually(_is_set(live.stream))
    _, event, data = live.stream.events[-1]
    assert event == "end", live.stream.events
    assert (data["code"], data["reason"]) == ("access_revoked", reason)


def _is_set(stream: SseReader) -> Any:
    async def probe() -> bool:
        return stream.ended.is_set()

    return probe


async def assert_token_refused(server: ServerProcess, api: httpx.AsyncClient, token: str) -> None:
    """The token opens nothing any more: REST answers 401, a new socket closes with 4001."""
    refused = await api.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] == "unauthorized"
    async with live_client(server.ws_url, token) as socket:
        assert await socket.wait_closed() == 4001
        assert socket.frames[0]["code"] == "unauthorized"


async def login(api: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await api.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def current_session(api: httpx.AsyncClient, token: str) -> str:
    response = await api.get("/api/me/sessions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    [mine] = [s for s in response.json() if s["current"]]
    return str(mine["id"])


async def revoke_session(api: httpx.AsyncClient, session_id: str, by: dict[str, Any]) -> None:
    """End the session `session_id` from another session of the same user (`by`'s tokens)."""
    revoked = await api.delete(
        f"/api/me/sessions/{session_id}",
        headers={"Authorization": f"Bearer {by['access_token']}"},
    )
    assert revoked.status_code == 204, revoked.text


async def test_revoking_one_session_ends_its_live_connections_on_another_process_only(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server_a = start_server(postgres_url, clean_redis_url)
    server_b = start_server(postgres_url, clean_redis_url)
    api_a, api_b = http(server_a), http(server_b)
    admin = await make_account(server_a, postgres_url, Role.ADMIN)
    customer = await make_account(server_a, postgres_url, Role.CUSTOMER)
    other = await login(api_a, customer.email)  # the same customer on a second device
    revoked_session = await current_session(api_a, customer.token)

    async with (
        live_on(server_b, api_b, admin, customer.id, customer.token) as doomed,
        live_on(server_b, api_b, admin, customer.id, other["access_token"]) as kept,
    ):
        # The token works on B (and B has cached that) until the session is revoked on A.
        assert (await api_b.get("/api/me", headers=customer.headers)).status_code == 200
        await revoke_session(api_a, revoked_session, other)

        await assert_ended(doomed, "session_revoked")
        await settle(kept.socket)  # the other session's socket is untouched
        assert kept.socket.close_code is None
        assert not kept.stream.ended.is_set()
        await assert_token_refused(server_b, api_b, customer.token)
        await assert_token_refused(server_a, api_a, customer.token)
        mine = await api_b.get(
            "/api/me", headers={"Authorization": f"Bearer {other['access_token']}"}
        )
        assert mine.status_code == 200, mine.text


async def test_a_password_change_deactivation_or_erasure_ends_live_access_everywhere(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server_a = start_server(postgres_url, clean_redis_url)
    server_b = start_server(postgres_url, clean_redis_url)
    api_a, api_b = http(server_a), http(server_b)
    admin = await make_account(server_a, postgres_url, Role.ADMIN)
    changer = await make_account(server_a, postgres_url, Role.CUSTOMER)
    washer = await make_account(server_a, postgres_url, Role.WASHER)
    leaver = await make_account(server_a, postgres_url, Role.CUSTOMER)
    device = await login(api_a, changer.email)  # where the password is changed from

    # A password change ends the account's other sessions; the one that changed it goes on.
    async with (
        live_on(server_b, api_b, admin, changer.id, changer.token) as elsewhere,
        live_on(server_b, api_b, admin, changer.id, device["access_token"]) as here,
    ):
        changed = await api_a.post(
            "/api/me/password",
            headers={"Authorization": f"Bearer {device['access_token']}"},
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        )
        assert changed.status_code == 204, changed.text
        await assert_ended(elsewhere, "password_changed")
        await settle(here.socket)
        assert here.socket.close_code is None
        await assert_token_refused(server_b, api_b, changer.token)
    await login(api_a, changer.email, NEW_PASSWORD)

    # An admin deactivates a washer: every session of theirs ends.
    async with live_on(server_b, api_b, admin, washer.id, washer.token) as washer_live:
        gone = await api_a.delete(f"/api/washers/{washer.id}", headers=admin.headers)
        assert gone.status_code == 204, gone.text
        await assert_ended(washer_live, "account_deactivated")
        await assert_token_refused(server_b, api_b, washer.token)

    # A customer erases their account: its live access ends with it.
    async with live_on(server_b, api_b, admin, leaver.id, leaver.token) as leaver_live:
        erased = await api_a.post(
            "/api/me/erase", headers=leaver.headers, json={"password": PASSWORD}
        )
        assert erased.status_code == 200, erased.text
        await assert_ended(leaver_live, "account_erased")
        await assert_token_refused(server_b, api_b, leaver.token)


async def test_a_process_that_heard_no_event_ends_access_at_its_next_poll(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    """B shares A's database but not its Redis, as if every control event were lost on the
    way: it learns the end from the database at its next poll (every 5 seconds), ends the
    session's connections and refuses its token. Before the poll, they lasted until the
    token expired."""
    server_a = start_server(postgres_url, clean_redis_url)
    server_b = start_server(postgres_url)  # the in-process broker: hears nothing from A
    api_a, api_b = http(server_a), http(server_b)
    admin = await make_account(server_a, postgres_url, Role.ADMIN)
    customer = await make_account(server_a, postgres_url, Role.CUSTOMER)
    other = await login(api_a, customer.email)
    revoked_session = await current_session(api_a, customer.token)

    async with live_on(server_b, api_b, admin, customer.id, customer.token) as doomed:
        assert (await api_b.get("/api/me", headers=customer.headers)).status_code == 200
        await revoke_session(api_a, revoked_session, other)

        await assert_ended(doomed, "session_revoked")
        await assert_token_refused(server_b, api_b, customer.token)
        mine = await api_b.get(
            "/api/me", headers={"Authorization": f"Bearer {other['access_token']}"}
        )
        assert mine.status_code == 200, mine.text
