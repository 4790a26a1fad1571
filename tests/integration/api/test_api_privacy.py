"""A user's data: the export holds every table's rows about them and nothing of others;
erasure replaces personal data with tombstones and leaves the books (orders, prices,
ratings, KPIs) as they were. On both back-ends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pyotp
import pytest
from advanced_alchemy.base import orm_registry
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.schemas.privacy import DataExport
from app.settings import Settings
from app.workers.kpis import load_seed
from domain.kpis import KpiBoard, SlaRules, business_day_start
from persistence.database import create_engine, create_session_factory
from persistence.models import TrackPoint
from tests.integration.api.conftest import Advance, MakeOrder
from tests.support.api import ApiUser, expect
from tests.support.database import PASSWORD

Client = AsyncTestClient[Litestar]
ERASE = {"password": PASSWORD}


async def add_track_points(settings: Settings, washer_id: int, count: int) -> None:
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        for i in range(count):
            session.add(
                TrackPoint(
                    washer_id=washer_id,
                    lat=52.5 + i / 1000,
                    lng=13.4,
                    recorded_at=datetime.now(UTC),
                )
            )
        await session.commit()
    await engine.dispose()


@pytest.fixture
async def history(
    api: Client,
    customer_a: ApiUser,
    customer_b: ApiUser,
    washer: ApiUser,
    other_washer: ApiUser,
    make_order: MakeOrder,
    advance: Advance,
    settings: Settings,
) -> dict[str, Any]:
    """Two customers each with a washed, reviewed and chatted-about order; track points of
    two washers."""
    orders = {}
    for customer, worker in ((customer_a, washer), (customer_b, other_washer)):
        order = await make_order(customer, notes="gate code 4711")
        orders[customer.id] = order["id"]
        shared = await api.post(f"/api/orders/{order['id']}/share", headers=customer.headers)
        expect(shared, 201)
        await advance(order["id"], worker, "completed")
        for author in (customer, worker):
            body = {"body": f"hello from {author.email}"}
            expect(
                await api.post(
                    f"/api/orders/{order['id']}/messages", json=body, headers=author.headers
                ),
                201,
            )
        review = {"stars": 4, "comment": "shiny"}
        expect(
            await api.post(
                f"/api/orders/{order['id']}/review", json=review, headers=customer.headers
            ),
            201,
        )
    await add_track_points(settings, washer.id, 3)
    await add_track_points(settings, other_washer.id, 2)
    return orders


async def test_the_export_holds_the_callers_rows_and_nobody_elses(
    api: Client, customer_a: ApiUser, customer_b: ApiUser, history: dict[str, Any]
) -> None:
    data = expect(await api.get("/api/me/export", headers=customer_a.headers), 200)
    assert data["user"]["id"] == customer_a.id
    assert data["user"]["email"] == customer_a.email
    assert "password_hash" not in data["user"]
    assert data["washer_profile"] is None
    assert data["second_factor_enabled"] is False
    assert [v["owner_id"] for v in data["vehicles"]] == [customer_a.id]
    assert [o["id"] for o in data["orders"]] == [history[customer_a.id]]
    assert {e["order_id"] for e in data["order_events"]} == {history[customer_a.id]}
    assert len(data["order_events"]) == 6
    assert [m["sender_id"] for m in data["chat_messages"]] == [customer_a.id]
    assert [r["customer_id"] for r in data["reviews"]] == [customer_a.id]
    assert data["notifications"]
    assert {n["user_id"] for n in data["notifications"]} == {customer_a.id}
    assert {s["user_id"] for s in data["sessions"]} == {customer_a.id}
    assert all("token_hash" not in s for s in data["sessions"])
    assert data["track_points"] == []
    assert "auth.login" in {e["action"] for e in data["audit_events"]}
    assert customer_b.email not in str(data)


async def test_a_washers_export_holds_their_work_and_track(
    api: Client, washer: ApiUser, customer_a: ApiUser, history: dict[str, Any]
) -> None:
    data = expect(await api.get("/api/me/export", headers=washer.headers), 200)
    assert data["washer_profile"]["user_id"] == washer.id
    assert [o["id"] for o in data["orders"]] == [history[customer_a.id]]
    assert len(data["track_points"]) == 3
    assert {p["washer_id"] for p in data["track_points"]} == {washer.id}
    assert [r["washer_id"] for r in data["reviews"]] == [washer.id]


async def test_exports_are_audited_and_admins_export_for_a_user(
    api: Client, admin: ApiUser, customer_a: ApiUser
) -> None:
    expect(await api.get("/api/me/export", headers=customer_a.headers), 200)
    url = f"/api/admin/users/{customer_a.id}/export"
    assert expect(await api.get(url, headers=admin.headers), 200)["user"]["id"] == customer_a.id
    params = {"action": "gdpr.exported"}
    trail = expect(await api.get("/api/admin/audit", params=params, headers=admin.headers), 200)
    assert [(e["actor_id"], e["target_id"]) for e in trail["items"]] == [
        (admin.id, customer_a.id),
        (customer_a.id, customer_a.id),
    ]
    assert expect(await api.get(url, headers=customer_a.headers), 403)["code"] == "forbidden"
    missing = await api.get("/api/admin/users/999999/export", headers=admin.headers)
    assert expect(missing, 404)["code"] == "not_found"


async def books(settings: Settings) -> dict[str, Any]:
    """The KPIs that come from stored orders (not from the clock or live connections), as a
    process starting now computes them: the board seeded from the database
    (`app.workers.kpis.load_seed`), as every process's KPI service does at start."""
    zone = ZoneInfo(settings.business_timezone)
    now = datetime.now(UTC)
    day_start = business_day_start(now, zone)
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            seed = await load_seed(session, day_start)
    finally:
        await engine.dispose()
    board = KpiBoard(
        day_start=day_start,
        sla=SlaRules(settings.sla_assign_seconds, settings.sla_arrival_seconds),
        zone=zone,
        zone_name=settings.business_timezone,
    )
    board.seed(seed)
    kpis = msgspec.to_builtins(board.snapshot(now, washers_online=set(), connections={}))
    return {key: kpis[key] for key in ("orders_by_status", "active_orders", "today")}


async def test_erasure_keeps_the_books_and_removes_the_person(
    api: Client,
    settings: Settings,
    admin: ApiUser,
    customer_a: ApiUser,
    washer: ApiUser,
    history: dict[str, Any],
) -> None:
    order_id = history[customer_a.id]
    before_order = expect(await api.get(f"/api/orders/{order_id}", headers=admin.headers), 200)
    before_books = await books(settings)
    before_washer = expect(await api.get(f"/api/washers/{washer.id}", headers=admin.headers), 200)

    wrong = await api.post("/api/me/erase", json={"password": "nope"}, headers=customer_a.headers)
    assert expect(wrong, 403)["code"] == "wrong_password"
    erased = expect(await api.post("/api/me/erase", json=ERASE, headers=customer_a.headers), 200)
    assert erased["user_id"] == customer_a.id

    login = {"email": customer_a.email, "password": PASSWORD}
    expect(await api.post("/api/auth/login", json=login), 401)
    refresh = {"refresh_token": customer_a.refresh_token}
    expect(await api.post("/api/auth/refresh", json=refresh), 401)

    after = expect(await api.get(f"/api/orders/{order_id}", headers=admin.headers), 200)
    assert after["events"] == before_order["events"]
    before, kept_order = before_order["order"], after["order"]
    for kept in ("status", "price_cents", "washer_id", "customer_id", "created_at"):
        assert kept_order[kept] == before[kept], kept
    assert kept_order["address"] == "[erased]"
    assert kept_order["notes"] is None
    assert kept_order["lat"] == round(before["lat"], 2)
    assert await books(settings) == before_books
    assert before_books["today"]["completed"] == 2
    after_washer = expect(await api.get(f"/api/washers/{washer.id}", headers=admin.headers), 200)
    assert after_washer["rating_average"] == before_washer["rating_average"]

    data = expect(
        await api.get(f"/api/admin/users/{customer_a.id}/export", headers=admin.headers), 200
    )
    assert data["user"]["email"] == f"erased-{customer_a.id}@erased.invalid"
    assert data["user"]["full_name"] == "Erased user"
    assert data["user"]["is_active"] is False
    assert [v["plate"] for v in data["vehicles"]] == ["ERASED"]
    assert [m["body"] for m in data["chat_messages"]] == ["[erased]"]
    assert [(r["stars"], r["comment"]) for r in data["reviews"]] == [(4, None)]
    assert data["notifications"] == data["sessions"] == []
    chat = expect(await api.get(f"/api/orders/{order_id}/messages", headers=admin.headers), 200)
    bodies = sorted(m["body"] for m in chat["items"])
    assert bodies == sorted(["[erased]", f"hello from {washer.email}"])
    assert "gdpr.erased" in {e["action"] for e in data["audit_events"]}


async def test_erasing_a_washer_deletes_their_track(
    api: Client, admin: ApiUser, washer: ApiUser, other_washer: ApiUser, history: dict[str, Any]
) -> None:
    body = {"reason": "request 2026-117"}
    url = f"/api/admin/users/{washer.id}/erase"
    expect(await api.post(url, json=body, headers=admin.headers), 200)
    data = expect(await api.get(f"/api/admin/users/{washer.id}/export", headers=admin.headers), 200)
    assert data["track_points"] == []
    assert data["washer_profile"]["last_lat"] is None
    other = await api.get(f"/api/admin/users/{other_washer.id}/export", headers=admin.headers)
    assert len(expect(other, 200)["track_points"]) == 2
    params = {"action": "gdpr.erased"}
    trail = expect(await api.get("/api/admin/audit", params=params, headers=admin.headers), 200)
    assert [(e["actor_id"], e["target_id"], e["detail"]) for e in trail["items"]] == [
        (admin.id, washer.id, body)
    ]


async def test_an_account_with_an_open_order_is_not_erased(
    api: Client, customer_a: ApiUser, order_a: dict[str, Any]
) -> None:
    response = await api.post("/api/me/erase", json=ERASE, headers=customer_a.headers)
    assert expect(response, 409)["code"] == "open_orders"
    expect(await api.get("/api/me", headers=customer_a.headers), 200)


async def test_only_admins_erase_others(
    api: Client, admin: ApiUser, customer_a: ApiUser, customer_b: ApiUser
) -> None:
    body = {"reason": "request"}
    url = f"/api/admin/users/{customer_b.id}/erase"
    response = await api.post(url, json=body, headers=customer_a.headers)
    assert expect(response, 403)["code"] == "forbidden"
    missing = await api.post("/api/admin/users/999999/erase", json=body, headers=admin.headers)
    assert expect(missing, 404)["code"] == "not_found"
    no_reason = await api.post(url, json={"reason": ""}, headers=admin.headers)
    assert expect(no_reason, 400)["code"] == "validation_error"


EXPORTED_AS = {
    "user_account": "user",
    "washer_profile": "washer_profile",
    "vehicle": "vehicles",
    "wash_order": "orders",
    "order_event": "order_events",
    "chat_message": "chat_messages",
    "chat_read": "chat_reads",
    "review": "reviews",
    "notification": "notifications",
    "refresh_token": "sessions",
    "track_point": "track_points",
    "dispatch_offer": "dispatch_offers",
    "idempotency_key": "idempotency_keys",
    "totp_factor": "second_factor",
    "recovery_code": "recovery_codes",
    "audit_event": "audit_events",
    "order_share": "share_links",
    "price_quote": "price_quotes",
    "ended_access": "ended_access",
}
NOT_ABOUT_A_PERSON = {"service_package", "outbox_event", "surge_zone"}


def test_every_table_is_exported_or_holds_nothing_about_a_person() -> None:
    assert set(orm_registry.metadata.tables) == set(EXPORTED_AS) | NOT_ABOUT_A_PERSON
    assert set(EXPORTED_AS.values()) <= set(DataExport.__struct_fields__)


async def test_the_export_has_rows_of_every_table_that_holds_some(
    api: Client, customer_a: ApiUser, washer: ApiUser, history: dict[str, Any]
) -> None:
    order_id = history[customer_a.id]
    read = {"up_to": 1}
    expect(
        await api.post(
            f"/api/orders/{order_id}/messages/read", json=read, headers=customer_a.headers
        ),
        200,
    )
    keyed = {**customer_a.headers, "Idempotency-Key": "export-test-1"}
    body = {"body": "one more"}
    expect(await api.post(f"/api/orders/{order_id}/messages", json=body, headers=keyed), 201)
    login = {"email": customer_a.email, "password": PASSWORD}
    expect(await api.post("/api/auth/login", json=login), 200)  # a session the factor ends
    started = await api.post("/api/me/mfa/totp", json=ERASE, headers=customer_a.headers)
    code = {"code": pyotp.TOTP(expect(started, 201)["secret"]).now()}
    confirm = await api.post("/api/me/mfa/totp/confirm", json=code, headers=customer_a.headers)
    expect(confirm, 200)
    booked = expect(await api.get(f"/api/orders/{order_id}", headers=customer_a.headers), 200)
    asked = {key: booked["order"][key] for key in ("vehicle_id", "package_id", "lat", "lng")}
    expect(await api.post("/api/quotes", json=asked, headers=customer_a.headers), 200)

    mine = expect(await api.get("/api/me/export", headers=customer_a.headers), 200)
    washers = expect(await api.get("/api/me/export", headers=washer.headers), 200)
    for table, key in EXPORTED_AS.items():
        assert mine[key] or washers[key], f"{table} is missing from both exports"
    assert [r["user_id"] for r in mine["chat_reads"]] == [customer_a.id]
    assert [r["key"] for r in mine["idempotency_keys"]] == ["export-test-1"]
    assert [set(r) & {"secret"} for r in mine["second_factor"]] == [set()]
    assert mine["second_factor_enabled"] is True
    assert len(mine["recovery_codes"]) == 10
    assert all("code_hash" not in r for r in mine["recovery_codes"])
    assert {r["washer_id"] for r in washers["dispatch_offers"]} == {washer.id}
    assert [set(r) & {"token_hash"} for r in mine["share_links"]] == [set()]
    assert [r["reason"] for r in mine["ended_access"]] == ["session_revoked"]
