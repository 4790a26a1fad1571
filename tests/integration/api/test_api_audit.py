"""The audit trail: an entry for each audited action, read by admins with filters and paging,
and no way to change or delete an entry, on both back-ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.settings import Settings
from persistence.database import create_engine
from tests.integration.api.conftest import MakeUser, Move
from tests.support.api import ApiUser, expect, login
from tests.support.database import PASSWORD

Client = AsyncTestClient[Litestar]


async def audit(api: Client, admin: ApiUser, **filters: Any) -> dict[str, Any]:
    params = {k: str(v) for k, v in filters.items()}
    return expect(await api.get("/api/admin/audit", params=params, headers=admin.headers), 200)


async def entries(api: Client, admin: ApiUser, action: str) -> list[dict[str, Any]]:
    return list((await audit(api, admin, action=action))["items"])


async def test_a_login_is_audited_with_its_request_id_and_address(
    api: Client, admin: ApiUser, customer_a: ApiUser
) -> None:
    response = await api.post(
        "/api/auth/login",
        json={"email": customer_a.email, "password": PASSWORD},
        headers={"X-Request-ID": "login-req-1"},
    )
    expect(response, 200)
    newest = (await entries(api, admin, "auth.login"))[0]
    assert newest["actor_id"] == customer_a.id
    assert newest["actor_role"] == "customer"
    assert (newest["target_type"], newest["target_id"]) == ("user", customer_a.id)
    assert newest["request_id"] == "login-req-1"
    assert newest["address"] == "testclient"


async def test_failed_logins_are_audited_with_their_reason(
    api: Client, admin: ApiUser, customer_a: ApiUser
) -> None:
    wrong = {"email": customer_a.email, "password": "not-the-password"}
    expect(await api.post("/api/auth/login", json=wrong), 401)
    unknown = {"email": "nobody@example.test", "password": "whatever-it-is"}
    expect(await api.post("/api/auth/login", json=unknown), 401)
    failed = await entries(api, admin, "auth.login_failed")
    assert [(e["target_id"], e["detail"], e["actor_id"]) for e in failed] == [
        (None, {"reason": "unknown_email"}, None),
        (customer_a.id, {"reason": "wrong_password"}, None),
    ]


async def test_a_login_to_a_disabled_account_is_audited(
    api: Client, admin: ApiUser, washer: ApiUser
) -> None:
    expect(await api.delete(f"/api/washers/{washer.id}", headers=admin.headers), 204)
    body = {"email": washer.email, "password": PASSWORD}
    expect(await api.post("/api/auth/login", json=body), 403)
    failed = await entries(api, admin, "auth.login_failed")
    assert failed[0]["detail"] == {"reason": "account_disabled"}
    assert failed[0]["target_id"] == washer.id


async def test_registration_is_audited_as_the_new_user(api: Client, admin: ApiUser) -> None:
    body = {"email": "new@example.test", "password": "a-long-new-secret", "full_name": "New"}
    user = expect(await api.post("/api/auth/register", json=body), 201)["user"]
    [entry] = await entries(api, admin, "auth.register")
    assert (entry["actor_id"], entry["target_id"]) == (user["id"], user["id"])
    assert entry["after"] == {"role": "customer"}


async def test_admin_account_changes_are_audited_with_before_and_after(
    api: Client, admin: ApiUser
) -> None:
    new = {"email": "wes@example.test", "password": "sponge-and-bucket", "full_name": "Wes"}
    wes = expect(await api.post("/api/washers", json=new, headers=admin.headers), 201)
    change = {"full_name": "Wesley", "is_available": True}
    expect(await api.patch(f"/api/washers/{wes['id']}", json=change, headers=admin.headers), 200)
    expect(await api.delete(f"/api/washers/{wes['id']}", headers=admin.headers), 204)

    trail = (await audit(api, admin, target_type="user", target_id=wes["id"]))["items"]
    assert [(e["action"], e["actor_id"], e["before"], e["after"]) for e in trail] == [
        (
            "washer.deactivated",
            admin.id,
            {"is_active": True, "is_available": True},
            {"is_active": False, "is_available": False},
        ),
        (
            "washer.updated",
            admin.id,
            {"full_name": "Wes", "is_available": False},
            {"full_name": "Wesley", "is_available": True},
        ),
        ("user.created", admin.id, None, {"role": "washer"}),
    ]


async def test_price_changes_are_audited(api: Client, admin: ApiUser) -> None:
    body = {"name": "Shine", "base_price_cents": 2000, "duration_minutes": 30}
    package = expect(await api.post("/api/packages", json=body, headers=admin.headers), 201)
    price = {"base_price_cents": 2500}
    expect(
        await api.patch(f"/api/packages/{package['id']}", json=price, headers=admin.headers), 200
    )
    expect(await api.delete(f"/api/packages/{package['id']}", headers=admin.headers), 204)
    trail = (await audit(api, admin, target_type="package"))["items"]
    assert [(e["action"], e["before"], e["after"]) for e in trail] == [
        (
            "package.deleted",
            {**body, "base_price_cents": 2500, "description": "", "is_active": True},
            None,
        ),
        ("package.updated", {"base_price_cents": 2000}, {"base_price_cents": 2500}),
        ("package.created", None, {**body, "description": "", "is_active": True}),
    ]


async def test_admin_moves_of_orders_are_audited_and_others_are_not(
    api: Client,
    admin: ApiUser,
    customer_a: ApiUser,
    washer: ApiUser,
    order_a: dict[str, Any],
    make_order: Any,
    move: Move,
) -> None:
    order_id = order_a["id"]
    expect(await move(admin, order_id, "assigned", washer_id=washer.id), 200)
    expect(await move(admin, order_id, "cancelled", reason="duplicate booking"), 200)
    other = await make_order(customer_a)
    expect(await move(customer_a, other["id"], "cancelled"), 200)

    trail = await entries(api, admin, "order.admin_transition")
    assert [(e["target_id"], e["before"], e["after"], e["detail"]) for e in trail] == [
        (
            order_id,
            {"status": "assigned", "washer_id": washer.id},
            {"status": "cancelled", "washer_id": washer.id},
            {"reason": "duplicate booking"},
        ),
        (
            order_id,
            {"status": "pending", "washer_id": None},
            {"status": "assigned", "washer_id": washer.id},
            None,
        ),
    ]


async def test_a_replayed_refresh_token_is_audited(
    api: Client, admin: ApiUser, customer_a: ApiUser
) -> None:
    first = {"refresh_token": customer_a.refresh_token}
    expect(await api.post("/api/auth/refresh", json=first), 200)
    expect(await api.post("/api/auth/refresh", json=first), 401)
    [entry] = await entries(api, admin, "auth.token_replay")
    assert entry["target_id"] == customer_a.id
    assert set(entry["detail"]) == {"family_id"}


async def test_filters_narrow_the_trail(api: Client, admin: ApiUser, make_user: MakeUser) -> None:
    carol = await make_user(name="carol")
    await login(api, carol.email, PASSWORD)
    by_carol = (await audit(api, admin, actor_id=carol.id))["items"]
    assert len(by_carol) == 2
    assert {e["action"] for e in by_carol} == {"auth.login"}

    now = datetime.now(UTC)
    assert (await audit(api, admin, since=(now + timedelta(hours=1)).isoformat()))["items"] == []
    everything = (await audit(api, admin, until=(now + timedelta(hours=1)).isoformat()))["items"]
    assert len(everything) == len((await audit(api, admin))["items"]) > 0
    assert (await audit(api, admin, until=(now - timedelta(hours=1)).isoformat()))["items"] == []


async def test_pages_follow_each_other_without_gaps_or_repeats(
    api: Client, admin: ApiUser, customer_a: ApiUser
) -> None:
    for _ in range(4):
        await login(api, customer_a.email, PASSWORD)
    all_ids = [e["id"] for e in (await audit(api, admin, limit=200))["items"]]
    assert all_ids == sorted(all_ids, reverse=True) and len(all_ids) >= 7

    seen: list[int] = []
    page = await audit(api, admin, limit=3)
    while True:
        seen += [e["id"] for e in page["items"]]
        if page["next_before"] is None:
            break
        assert page["next_before"] == seen[-1]
        page = await audit(api, admin, limit=3, before=page["next_before"])
    assert seen == all_ids


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"action": "auth.made_up"}, "validation_error"),
        ({"target_type": "galaxy"}, "validation_error"),
        ({"limit": "0"}, "validation_error"),
        ({"before": "0"}, "validation_error"),
        ({"since": "2026-12-01T00:00:00"}, "timestamp_needs_timezone"),
        ({"until": "yesterday"}, "validation_error"),
    ],
)
async def test_bad_filters_are_refused(
    api: Client, admin: ApiUser, query: dict[str, str], code: str
) -> None:
    response = await api.get("/api/admin/audit", params=query, headers=admin.headers)
    assert expect(response, 400)["code"] == code


async def test_only_admins_read_the_trail(
    api: Client, customer_a: ApiUser, washer: ApiUser
) -> None:
    for user in (customer_a, washer):
        response = await api.get("/api/admin/audit", headers=user.headers)
        assert expect(response, 403)["code"] == "forbidden"
    assert expect(await api.get("/api/admin/audit"), 401)["code"] == "unauthorized"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST"])
async def test_no_route_changes_the_trail(api: Client, admin: ApiUser, method: str) -> None:
    response = await api.request(method, "/api/admin/audit", headers=admin.headers, json={})
    assert response.status_code == 405


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET action = 'auth.login'", "DELETE FROM audit_event"],
)
async def test_the_database_refuses_to_change_or_delete_an_entry(
    api: Client, admin: ApiUser, settings: Settings, statement: str
) -> None:
    before = (await audit(api, admin))["items"]
    assert before
    engine = create_engine(settings.database_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()
    assert (await audit(api, admin))["items"] == before


async def test_openapi_documents_the_trail_and_its_refusals(api: Client) -> None:
    document = expect(await api.get("/schema/openapi.json"), 200)
    assert set(document["paths"]["/api/admin/audit"]) == {"get"}
    responses = document["paths"]["/api/admin/audit"]["get"]["responses"]
    for status in ("400", "403"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/ErrorBody")
    assert "timestamp_needs_timezone" in responses["400"]["description"]
    page = responses["200"]["content"]["application/json"]["schema"]
    assert page["$ref"].endswith("/AuditPage")
