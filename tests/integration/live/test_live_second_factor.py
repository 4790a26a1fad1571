"""The live paths hold admins to the second factor as REST does: where `ADMIN_MFA_REQUIRED`
holds, an admin who did not pass one opens no admin-only channel (`ops`, another user's
notifications) on the WebSocket, nor the admin SSE stream, even after an `auth` op; and the
token of a login's first step (password right, code not yet given) opens nothing live."""

from __future__ import annotations

import httpx
import pyotp
import pytest

from domain.roles import Role
from tests.support.api import ApiUser, login
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.live import live_client


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"admin_mfa_required": "true"}


async def account(server: str, database_url: str, role: Role, email: str) -> ApiUser:
    await add_user(settings_for(database_url), email, role, role.value)
    async with httpx.AsyncClient(base_url=f"http://{server}") as client:
        return await login(client, email, PASSWORD)


async def enrol(client: httpx.AsyncClient, user: ApiUser) -> str:
    """Enrol and confirm an authenticator for `user`; its secret."""
    started = await client.post(
        "/api/me/mfa/totp", json={"password": PASSWORD}, headers=user.headers
    )
    assert started.status_code == 201, started.text
    secret = str(started.json()["secret"])
    code = pyotp.TOTP(secret).now()
    confirmed = await client.post(
        "/api/me/mfa/totp/confirm", json={"code": code}, headers=user.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret


async def test_an_admin_without_the_required_factor_opens_no_admin_channel(
    server: str, database_url: str
) -> None:
    admin = await account(server, database_url, Role.ADMIN, "root@example.test")
    customer = await account(server, database_url, Role.CUSTOMER, "ines@example.test")
    async with live_client(f"ws://{server}/ws", admin.access_token) as socket:
        for channel in ("ops", f"user:{customer.id}"):
            refused = await socket.subscribe(channel)
            assert (refused["type"], refused["code"]) == ("error", "second_factor_required")
        assert (await socket.subscribe(f"user:{admin.id}"))["type"] == "reply"
        renewed = await socket.request("auth", token=admin.access_token)
        assert renewed["type"] == "reply"
        still = await socket.subscribe("ops")
        assert (still["type"], still["code"]) == ("error", "second_factor_required")
    async with httpx.AsyncClient(base_url=f"http://{server}") as client:
        stream = await client.get("/api/admin/stream", headers=admin.headers)
        assert stream.status_code == 403
        assert stream.json()["code"] == "second_factor_required"

        # Once the admin passed a factor, the same channels open.
        await enrol(client, admin)
        renewed_pair = await client.post(
            "/api/auth/refresh", json={"refresh_token": admin.refresh_token}
        )
        assert renewed_pair.status_code == 200, renewed_pair.text
    async with live_client(f"ws://{server}/ws", renewed_pair.json()["access_token"]) as socket:
        assert (await socket.subscribe("ops"))["type"] == "reply"


async def test_the_token_of_a_logins_first_step_opens_nothing_live(
    server: str, database_url: str
) -> None:
    customer = await account(server, database_url, Role.CUSTOMER, "ines@example.test")
    async with httpx.AsyncClient(base_url=f"http://{server}") as client:
        await enrol(client, customer)
        first_step = await client.post(
            "/api/auth/login", json={"email": customer.email, "password": PASSWORD}
        )
        assert first_step.json()["code"] == "mfa_required", first_step.text
        partial = str(first_step.json()["mfa_token"])
        stream = await client.get("/api/me/events", headers={"Authorization": f"Bearer {partial}"})
        assert stream.status_code == 401
        assert stream.json()["code"] == "unauthorized"
    async with live_client(f"ws://{server}/ws", partial) as socket:
        assert await socket.wait_closed() == 4001
        assert socket.frames[0]["code"] == "unauthorized"
