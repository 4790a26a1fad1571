"""A user changes their password: the old one is asked, the new one must pass the policy,
the account's other sessions end (refresh and access tokens alike) and this one goes on;
audited. On both back-ends."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.integration.api.test_api_sessions import PHONE, bearer, refresh_status, sign_in
from tests.support.api import ApiUser, expect
from tests.support.database import PASSWORD

Client = AsyncTestClient[Litestar]
NEW_PASSWORD = "a-brand-new-passphrase-9"
URL = "/api/me/password"


def change(current: str, new: str = NEW_PASSWORD) -> dict[str, Any]:
    return {"current_password": current, "new_password": new}


async def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(
    api: Client, customer_a: ApiUser
) -> None:
    wrong = await api.post(URL, json=change("not-my-password"), headers=customer_a.headers)
    assert expect(wrong, 403)["code"] == "wrong_password"
    weak = await api.post(URL, json=change(PASSWORD, "password"), headers=customer_a.headers)
    assert expect(weak, 400)["code"] == "weak_password"
    body = {"email": customer_a.email, "password": PASSWORD}
    expect(await api.post("/api/auth/login", json=body), 200)


async def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(
    api: Client, customer_a: ApiUser, admin: ApiUser
) -> None:
    phone = await sign_in(api, customer_a, PHONE)
    changed = await api.post(URL, json=change(PASSWORD), headers=customer_a.headers)
    expect(changed, 204)

    assert await refresh_status(api, phone) == 401
    ended = await api.get("/api/me", headers=bearer(phone))
    assert expect(ended, 401)["code"] == "unauthorized"
    expect(await api.get("/api/me", headers=customer_a.headers), 200)
    assert await refresh_status(api, {"refresh_token": customer_a.refresh_token}) == 200

    old = {"email": customer_a.email, "password": PASSWORD}
    assert expect(await api.post("/api/auth/login", json=old), 401)["code"] == (
        "invalid_credentials"
    )
    new = {"email": customer_a.email, "password": NEW_PASSWORD}
    expect(await api.post("/api/auth/login", json=new), 200)

    params = {"action": "auth.password_changed"}
    trail = await api.get("/api/admin/audit", params=params, headers=admin.headers)
    [entry] = expect(trail, 200)["items"]
    assert entry["actor_id"] == customer_a.id
    assert len(entry["detail"]["sessions"]) == 1
