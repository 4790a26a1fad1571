"""Second factor (TOTP and recovery codes): enrolment, the two-step login, replay and
rate limits, disabling; audited. On both back-ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.settings import Settings
from tests.support.api import ApiUser, expect
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD

Client = AsyncTestClient[Litestar]
PASS = {"password": PASSWORD}


def code_at(secret: str, steps_ahead: int) -> str:
    """The app's code `steps_ahead` 30-second steps from now. The server accepts one step of
    drift either side and each step's code once: enrolment uses step 0 and logins step 1,
    which stay valid even if a step boundary passes meanwhile."""
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * steps_ahead))


async def enrol(api: Client, user: ApiUser) -> tuple[str, list[str]]:
    """Enrol and confirm an app for `user`; its secret and recovery codes."""
    started = expect(await api.post("/api/me/mfa/totp", json=PASS, headers=user.headers), 201)
    confirm = {"code": code_at(started["secret"], 0)}
    codes = expect(
        await api.post("/api/me/mfa/totp/confirm", json=confirm, headers=user.headers), 200
    )
    return started["secret"], codes["recovery_codes"]


async def password_step(api: Client, user: ApiUser) -> str:
    body = {"email": user.email, "password": PASSWORD}
    refused = expect(await api.post("/api/auth/login", json=body), 401)
    assert refused["code"] == "mfa_required"
    return str(refused["mfa_token"])


async def second_step(api: Client, token: str, code: str) -> Any:
    return await api.post("/api/auth/mfa", json={"mfa_token": token, "code": code})


async def audit_actions(api: Client, admin: ApiUser, user: ApiUser) -> list[str]:
    params = {"target_type": "user", "target_id": str(user.id)}
    items = expect(await api.get("/api/admin/audit", params=params, headers=admin.headers), 200)
    return [e["action"] for e in items["items"]]


async def test_enrolment_gives_an_otpauth_uri_and_is_not_in_force_until_confirmed(
    api: Client, admin: ApiUser
) -> None:
    started = expect(await api.post("/api/me/mfa/totp", json=PASS, headers=admin.headers), 201)
    uri = urlparse(started["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert parse_qs(uri.query)["secret"] == [started["secret"]]
    assert parse_qs(uri.query)["issuer"] == ["Washline"]
    status = expect(await api.get("/api/me/mfa", headers=admin.headers), 200)
    assert status == {"enabled": False, "recovery_codes_left": 0}
    body = {"email": admin.email, "password": PASSWORD}
    expect(await api.post("/api/auth/login", json=body), 200)


async def test_a_wrong_code_does_not_confirm(api: Client, admin: ApiUser) -> None:
    started = expect(await api.post("/api/me/mfa/totp", json=PASS, headers=admin.headers), 201)
    wrong = code_at(started["secret"], 10)
    response = await api.post(
        "/api/me/mfa/totp/confirm", json={"code": wrong}, headers=admin.headers
    )
    assert expect(response, 400)["code"] == "invalid_mfa_code"
    assert expect(await api.get("/api/me/mfa", headers=admin.headers), 200)["enabled"] is False


async def test_confirming_without_starting_is_a_conflict(api: Client, admin: ApiUser) -> None:
    response = await api.post(
        "/api/me/mfa/totp/confirm", json={"code": "123456"}, headers=admin.headers
    )
    assert expect(response, 409)["code"] == "mfa_not_pending"


async def test_an_admin_with_a_second_factor_logs_in_in_two_steps(
    api: Client, admin: ApiUser
) -> None:
    secret, codes = await enrol(api, admin)
    assert len(codes) == len(set(codes)) == 10
    assert expect(await api.get("/api/me/mfa", headers=admin.headers), 200) == {
        "enabled": True,
        "recovery_codes_left": 10,
    }
    token = await password_step(api, admin)
    # the second-step token is no access token
    response = await api.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert expect(response, 401)["code"] == "unauthorized"

    tokens = expect(await second_step(api, token, code_at(secret, 1)), 200)
    me = await api.get("/api/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert expect(me, 200)["id"] == admin.id
    actions = await audit_actions(api, admin, admin)
    assert actions[:2] == ["auth.login", "mfa.enabled"]


async def test_a_code_is_accepted_only_once(api: Client, customer_a: ApiUser) -> None:
    secret, _ = await enrol(api, customer_a)
    code = code_at(secret, 1)
    expect(await second_step(api, await password_step(api, customer_a), code), 200)
    again = await second_step(api, await password_step(api, customer_a), code)
    assert expect(again, 400)["code"] == "invalid_mfa_code"


async def test_a_recovery_code_works_once(api: Client, customer_a: ApiUser, admin: ApiUser) -> None:
    _, codes = await enrol(api, customer_a)
    expect(await second_step(api, await password_step(api, customer_a), codes[3]), 200)
    again = await second_step(api, await password_step(api, customer_a), codes[3])
    assert expect(again, 400)["code"] == "invalid_mfa_code"
    typed = codes[4].replace("-", "").upper()
    expect(await second_step(api, await password_step(api, customer_a), typed), 200)
    status = expect(await api.get("/api/me/mfa", headers=customer_a.headers), 200)
    assert status["recovery_codes_left"] == 8
    assert "mfa.failed" in await audit_actions(api, admin, customer_a)


@pytest.mark.parametrize("token", ["not-a-jwt", "ACCESS"])
async def test_a_bad_second_step_token_is_refused(
    api: Client, customer_a: ApiUser, token: str
) -> None:
    await enrol(api, customer_a)
    token = customer_a.access_token if token == "ACCESS" else token
    response = await second_step(api, token, "123456")
    assert expect(response, 401)["code"] == "invalid_mfa_token"


async def test_a_disabled_account_cannot_finish_its_login(
    api: Client, washer: ApiUser, admin: ApiUser
) -> None:
    secret, _ = await enrol(api, washer)
    token = await password_step(api, washer)
    expect(await api.delete(f"/api/washers/{washer.id}", headers=admin.headers), 204)
    response = await second_step(api, token, code_at(secret, 1))
    assert expect(response, 401)["code"] == "invalid_mfa_token"


async def test_codes_are_rate_limited_per_account(api: Client, customer_a: ApiUser) -> None:
    secret, _ = await enrol(api, customer_a)
    token = await password_step(api, customer_a)
    wrong = code_at(secret, 20)
    statuses = [(await second_step(api, token, wrong)).status_code for _ in range(12)]
    # at most 5 a minute: a 429 comes, after at least 5 refusals (a minute may turn once)
    assert 429 in statuses
    assert statuses.index(429) >= 5
    assert set(statuses[: statuses.index(429)]) == {400}


async def test_disabling_needs_a_code_and_restores_password_logins(
    api: Client, admin: ApiUser
) -> None:
    secret, _ = await enrol(api, admin)
    wrong = await api.post("/api/me/mfa/disable", json={"code": "000000"}, headers=admin.headers)
    assert expect(wrong, 400)["code"] == "invalid_mfa_code"
    body = {"code": code_at(secret, 1)}
    status = expect(await api.post("/api/me/mfa/disable", json=body, headers=admin.headers), 200)
    assert status == {"enabled": False, "recovery_codes_left": 0}
    login = {"email": admin.email, "password": PASSWORD}
    expect(await api.post("/api/auth/login", json=login), 200)
    assert "mfa.disabled" in await audit_actions(api, admin, admin)
    again = await api.post("/api/me/mfa/disable", json=body, headers=admin.headers)
    assert expect(again, 409)["code"] == "mfa_not_enabled"


async def test_enrolling_again_while_enabled_is_a_conflict(api: Client, admin: ApiUser) -> None:
    await enrol(api, admin)
    response = await api.post("/api/me/mfa/totp", json=PASS, headers=admin.headers)
    assert expect(response, 409)["code"] == "mfa_already_enabled"


async def test_enrolling_needs_the_password(api: Client, admin: ApiUser) -> None:
    wrong = {"password": "not-the-password"}
    response = await api.post("/api/me/mfa/totp", json=wrong, headers=admin.headers)
    assert expect(response, 403)["code"] == "wrong_password"
    assert expect(await api.get("/api/me/mfa", headers=admin.headers), 200)["enabled"] is False


@pytest.mark.parametrize("code", ["12345", "abcdefg!", "1" * 17])
async def test_a_malformed_code_is_refused(api: Client, admin: ApiUser, code: str) -> None:
    response = await api.post("/api/me/mfa/disable", json={"code": code}, headers=admin.headers)
    assert expect(response, 400)["code"] == "validation_error"


async def test_openapi_documents_the_second_step(api: Client) -> None:
    paths = expect(await api.get("/schema/openapi.json"), 200)["paths"]
    responses = paths["/api/auth/mfa"]["post"]["responses"]
    for status in ("400", "401", "429"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/ErrorBody")
    assert "mfa_required" in paths["/api/auth/login"]["post"]["responses"]["401"]["description"]


async def test_where_required_admins_act_only_after_a_second_factor(
    settings: Settings, admin: ApiUser, customer_a: ApiUser
) -> None:
    strict = create_app(settings_for(settings.database_url, admin_mfa_required="true"))
    async with AsyncTestClient(app=strict) as client:
        refused = await client.get("/api/admin/dashboard", headers=admin.headers)
        assert expect(refused, 403)["code"] == "second_factor_required"
        expect(await client.get("/api/me", headers=customer_a.headers), 200)
        expect(await client.get("/api/me/mfa", headers=admin.headers), 200)
        login = {"email": admin.email, "password": PASSWORD}
        other_session = expect(await client.post("/api/auth/login", json=login), 200)

        secret, _ = await enrol(client, admin)
        ended = {"refresh_token": other_session["refresh_token"]}
        assert expect(await client.post("/api/auth/refresh", json=ended), 401)
        kept = {"refresh_token": admin.refresh_token}
        renewed = expect(await client.post("/api/auth/refresh", json=kept), 200)
        headers = {"Authorization": f"Bearer {renewed['access_token']}"}
        expect(await client.get("/api/admin/dashboard", headers=headers), 200)

        token = await password_step(client, admin)
        tokens = expect(await second_step(client, token, code_at(secret, 1)), 200)
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        expect(await client.get("/api/admin/dashboard", headers=headers), 200)
