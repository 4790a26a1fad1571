"""Share links (`/api/orders/{id}/share`, `/api/share/{token}`, `/track/{token}`): made and
revoked by the order's customer only, unguessable, for one order, read-only, showing a
recipient no names and no address (the destination only as a rounded pin); dead links answer
404 `share_not_found`; the public routes are rate-limited per client address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from app.asgi import create_app
from app.settings import Settings
from domain.roles import Role
from persistence.database import create_engine, create_session_factory
from persistence.models import OrderShare
from tests.support.api import ApiUser, expect, login
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.polling import poll_until

Client = AsyncTestClient[Litestar]
FORBIDDEN_KEYS = {"customer_id", "washer_id", "order_id", "price_cents", "address", "notes"}


def keys_of(value: Any) -> set[str]:
    """Every key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


async def share(api: Client, user: ApiUser, order_id: int) -> dict[str, Any]:
    return expect(await api.post(f"/api/orders/{order_id}/share", headers=user.headers), 201)


WASHER_NAME = "Xavierre Quimbly Zedd"
"""Distinctive enough that finding any part of it in an answer means a name leaked."""


def no_washer_name(text: str) -> None:
    for part in WASHER_NAME.split():
        assert part.lower() not in text.lower(), f"{part!r} leaked in {text[:300]}"


@pytest.fixture
async def walter(api: Client, settings: Settings) -> ApiUser:
    """A washer with a distinctive full name, to see that no part of it is shared."""
    await add_user(settings, "walter@example.test", Role.WASHER, WASHER_NAME)
    return await login(api, "walter@example.test", PASSWORD)


async def test_a_link_shows_status_position_and_destination_pin_and_nothing_else(
    api: Client,
    customer_a: ApiUser,
    walter: ApiUser,
    order_a: dict[str, Any],
    advance: Any,
) -> None:
    made = await share(api, customer_a, order_a["id"])
    assert made["url"] == f"/track/{made['token']}"
    assert len(made["token"]) >= 43
    pending = expect(await api.get(f"/api/share/{made['token']}"), 200)  # no login needed
    assert pending["status"] == "pending"
    assert pending["position"] is None
    assert pending["destination"] == {
        "lat": round(order_a["lat"], 3),
        "lng": round(order_a["lng"], 3),
    }

    await advance(order_a["id"], walter, "en_route")
    fix = {
        "lat": order_a["lat"] + 0.01,
        "lng": order_a["lng"],
        "ts": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
        "speed": 10.0,
        "heading": 180.0,
    }
    uploaded = await api.post(
        "/api/washers/me/location", headers=walter.headers, json={"fixes": [fix]}
    )
    expect(uploaded, 200)

    async def seen() -> dict[str, Any]:
        return expect(await api.get(f"/api/share/{made['token']}"), 200)

    body = await poll_until(seen, lambda b: b["position"] is not None, every=0.2)
    assert body["status"] == "en_route"
    assert set(body) == {"status", "position", "destination", "expires_at", "area"}
    assert body["position"]["lat"] == pytest.approx(fix["lat"])
    assert body["position"]["eta_seconds"] > 0
    assert 1000 < body["position"]["distance_m"] < 1200
    assert set(body["area"]) == {"south", "west", "north", "east"}
    assert not keys_of(body) & FORBIDDEN_KEYS
    assert not any("name" in key for key in keys_of(body))
    no_washer_name(str(body))
    assert "alice" not in str(body).lower()
    assert order_a["address"] not in str(body)
    page = await api.get(made["url"])
    no_washer_name(page.text)


async def test_links_die_with_the_order_on_revocation_and_on_expiry(
    api: Client,
    customer_a: ApiUser,
    washer: ApiUser,
    order_a: dict[str, Any],
    advance: Any,
    settings: Settings,
) -> None:
    first = await share(api, customer_a, order_a["id"])
    second = await share(api, customer_a, order_a["id"])
    assert first["token"] != second["token"]

    revoked = await api.delete(f"/api/orders/{order_a['id']}/share", headers=customer_a.headers)
    assert expect(revoked, 200) == {"revoked": 2}
    for made in (first, second):
        gone = await api.get(f"/api/share/{made['token']}")
        assert expect(gone, 404) == {
            "code": "share_not_found",
            "message": "this share link does not exist or has expired",
        }

    third = await share(api, customer_a, order_a["id"])
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        await session.execute(
            update(OrderShare).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    await engine.dispose()
    assert expect(await api.get(f"/api/share/{third['token']}"), 404)["code"] == "share_not_found"

    fourth = await share(api, customer_a, order_a["id"])
    expect(await api.get(f"/api/share/{fourth['token']}"), 200)
    await advance(order_a["id"], washer, "completed")
    assert expect(await api.get(f"/api/share/{fourth['token']}"), 404)["code"] == "share_not_found"
    finished = await api.post(f"/api/orders/{order_a['id']}/share", headers=customer_a.headers)
    assert expect(finished, 409)["code"] == "order_finished"


async def test_only_the_orders_customer_may_share_or_revoke(
    api: Client,
    customer_b: ApiUser,
    washer: ApiUser,
    admin: ApiUser,
    order_a: dict[str, Any],
) -> None:
    url = f"/api/orders/{order_a['id']}/share"
    assert expect(await api.post(url, headers=customer_b.headers), 404)["code"] == "not_found"
    assert expect(await api.delete(url, headers=customer_b.headers), 404)["code"] == "not_found"
    for other in (washer, admin):
        assert expect(await api.post(url, headers=other.headers), 403)["code"] == "forbidden"
    assert expect(await api.post(url), 401)["code"] == "unauthorized"
    missing = await api.post("/api/orders/999999/share", headers=admin.headers)
    assert missing.status_code == 403


@pytest.mark.parametrize(
    "token",
    ["x", "A" * 43, "..%5Cetc%5Cpasswd", "%00" * 20, "ü" * 50, "a" * 5000, "' OR 1=1 --" * 5],
)
async def test_hostile_tokens_are_404_json_and_the_page_says_the_link_ended(
    api: Client, token: str
) -> None:
    answer = await api.get(f"/api/share/{token}")
    assert expect(answer, 404)["code"] == "share_not_found"
    stream = await api.get(f"/api/share/{token}/events")
    assert expect(stream, 404)["code"] == "share_not_found"
    page = await api.get(f"/track/{token}")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>This tracking link has ended</h1>" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_the_page_of_a_working_link_is_served_without_login(
    api: Client, customer_a: ApiUser, order_a: dict[str, Any]
) -> None:
    made = await share(api, customer_a, order_a["id"])
    page = await api.get(made["url"])
    assert page.status_code == 200
    assert '<script type="module" src="/track/static/track.js">' in page.text
    assert page.headers["cache-control"] == "no-store"
    script = await api.get("/track/static/track.js")
    assert script.status_code == 200
    assert "/sdk/washline.js" in script.text


async def test_the_public_share_routes_are_rate_limited_per_address(
    settings: Settings, api: Client, customer_a: ApiUser, order_a: dict[str, Any]
) -> None:
    made = await share(api, customer_a, order_a["id"])
    limited = create_app(settings_for(settings.database_url, share_rate_limit_per_minute=4))
    async with AsyncTestClient(app=limited) as client:
        expect(await client.get(f"/api/share/{made['token']}"), 200)
        expect(await client.get(f"/api/share/{'B' * 43}"), 404)  # guesses count too
        assert (await client.get(made["url"])).status_code == 200
        expect(await client.get(f"/api/share/{made['token']}"), 200)
        for path in (f"/api/share/{made['token']}", f"/api/share/{made['token']}/events"):
            throttled = await client.get(path)
            body = expect(throttled, 429)
            assert body["code"] == "rate_limited" and body["message"]
            assert int(throttled.headers["retry-after"]) >= 1
        page = await client.get(made["url"])
        assert page.status_code == 429
        assert int(page.headers["retry-after"]) >= 1
        # The page's assets, the rest of the API and logins keep their own budgets.
        assert (await client.get("/track/static/track.js")).status_code == 200
        expect(await client.get("/api/packages"), 200)
        expect(await client.get("/api/me", headers=customer_a.headers), 200)


async def test_the_share_limit_is_documented_on_its_routes(api: Client) -> None:
    document = expect(await api.get("/schema/openapi.json"), 200)
    for path in ("/api/share/{token}", "/api/share/{token}/events"):
        answers = document["paths"][path]["get"]["responses"]
        assert "rate_limited" in str(answers["429"])
