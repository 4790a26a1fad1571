"""The audit trail live: each entry reaches the admin-only `audit` channel once the change it
records is committed, on the WebSocket and on its SSE stream; nobody else may listen."""

from __future__ import annotations

import httpx

from domain.roles import Role
from tests.e2e.streams import sse_stream
from tests.support.api import ApiUser, login
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.live import live_client


async def account(server: str, database_url: str, role: Role, email: str) -> ApiUser:
    await add_user(settings_for(database_url), email, role, role.value)
    async with httpx.AsyncClient(base_url=f"http://{server}") as client:
        return await login(client, email, PASSWORD)


async def test_audit_entries_reach_admins_live_on_both_transports(
    server: str, database_url: str
) -> None:
    admin = await account(server, database_url, Role.ADMIN, "root@example.test")
    customer = await account(server, database_url, Role.CUSTOMER, "ines@example.test")
    base = f"http://{server}"
    async with (
        live_client(f"ws://{server}/ws", admin.access_token) as watcher,
        live_client(f"ws://{server}/ws", customer.access_token) as nosy,
        sse_stream(base, "/api/admin/audit/events", admin.headers) as (stream, _),
    ):
        refused = await nosy.subscribe("audit")
        assert (refused["type"], refused["code"]) == ("error", "forbidden")
        assert (await watcher.subscribe("audit"))["type"] == "reply"
        async with httpx.AsyncClient(base_url=base) as client:
            wrong = {"email": customer.email, "password": "not-the-password"}
            assert (await client.post("/api/auth/login", json=wrong)).status_code == 401
            closed = await client.get("/api/admin/audit/events", headers=customer.headers)
            assert closed.status_code == 403

        [event] = await watcher.wait_events("audit", 1)
        assert event["event"] == "audit.entry"
        entry = event["data"]
        assert (entry["action"], entry["target_type"], entry["target_id"]) == (
            "auth.login_failed",
            "user",
            customer.id,
        )
        assert entry["detail"] == {"reason": "wrong_password"}
        await stream.wait_count(1)
        _, name, data = stream.events[0]
        assert name == "audit.entry" and data["data"] == entry
        assert nosy.events() == []
