"""Idempotency keys on the POSTs a flaky mobile network retries, on both back-ends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from app.http.idempotency import request_hash
from app.services import chat as chat_service
from app.settings import Settings
from persistence.database import create_engine, create_session_factory
from persistence.models import IdempotencyKey
from tests.integration.api.conftest import ORDER_ADDRESS, Offer
from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]
OpenClient = Callable[[], AbstractAsyncContextManager[AsyncClient]]
RACERS = 8


def keyed(user: ApiUser, key: str) -> dict[str, str]:
    return {**user.headers, "Idempotency-Key": key}


def order_body(vehicle: dict[str, Any], package: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"vehicle_id": vehicle["id"], "package_id": package["id"], **ORDER_ADDRESS, **fields}


async def book(
    client: Client | AsyncClient, user: ApiUser, key: str, body: dict[str, Any]
) -> Response:
    return await client.post("/api/orders", json=body, headers=keyed(user, key))


async def order_count(api: Client, user: ApiUser) -> int:
    total: int = expect(await api.get("/api/orders", headers=user.headers), 200)["total"]
    return total


def replayed(response: Response) -> bool:
    return response.headers.get("idempotent-replayed") == "true"


async def test_a_retried_booking_returns_the_same_order_and_books_once(
    api: Client, customer_a: ApiUser, vehicle_a: dict[str, Any], package: dict[str, Any]
) -> None:
    body = order_body(vehicle_a, package)
    first = await book(api, customer_a, "book-1", body)
    retry = await book(api, customer_a, "book-1", body)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert not replayed(first)
    assert replayed(retry)
    assert await order_count(api, customer_a) == 1


async def test_a_retried_chat_message_is_posted_once(
    api: Client, customer_a: ApiUser, order_a: dict[str, Any]
) -> None:
    path = f"/api/orders/{order_a['id']}/messages"
    headers = keyed(customer_a, "msg-1")
    first = expect(await api.post(path, json={"body": "I'm at the gate"}, headers=headers), 201)
    retry = await api.post(path, json={"body": "I'm at the gate"}, headers=headers)
    assert expect(retry, 201) == first
    assert replayed(retry)
    history = expect(await api.get(path, headers=customer_a.headers), 200)
    assert [m["body"] for m in history["items"]] == ["I'm at the gate"]


async def test_a_rate_limited_message_does_not_keep_its_key(
    api: Client, settings: Settings, customer_a: ApiUser, order_a: dict[str, Any]
) -> None:
    """429 means "not now": a retry with the same key must be able to post once allowed."""
    path = f"/api/orders/{order_a['id']}/messages"
    refused = None
    for n in range(50):
        response = await api.post(path, json={"body": "hi"}, headers=keyed(customer_a, f"m{n}"))
        if response.status_code == 429:
            refused = f"m{n}"
            break
        expect(response, 201)
    assert refused is not None, "the chat limit never answered 429"
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        kept = await session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == refused))
        stored = await session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "m0"))
    await engine.dispose()
    assert kept is None
    assert stored is not None and stored.status == 201


async def test_a_retried_transition_is_replayed_not_refused(
    api: Client, washer: ApiUser, order_a: dict[str, Any], offer: Offer
) -> None:
    await offer(order_a["id"], washer)
    path = f"/api/orders/{order_a['id']}/transitions"
    headers = keyed(washer, "accept-1")
    first = expect(await api.post(path, json={"to": "assigned"}, headers=headers), 200)
    retry = await api.post(path, json={"to": "assigned"}, headers=headers)
    assert expect(retry, 200) == first
    assert replayed(retry)
    unkeyed = await api.post(path, json={"to": "assigned"}, headers=washer.headers)
    assert unkeyed.status_code == 409


async def test_a_retried_location_upload_is_replayed(api: Client, washer: ApiUser) -> None:
    now = datetime.now(UTC).isoformat()
    body = {"fixes": [{"lat": 52.52, "lng": 13.405, "ts": now}]}
    headers = keyed(washer, "fixes-1")
    first = expect(await api.post("/api/washers/me/location", json=body, headers=headers), 200)
    retry = await api.post("/api/washers/me/location", json=body, headers=headers)
    assert expect(retry, 200) == first
    assert replayed(retry)


async def test_a_server_error_releases_the_key(
    api: Client, customer_a: ApiUser, order_a: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = f"/api/orders/{order_a['id']}/messages"
    headers = keyed(customer_a, "msg-1")
    post_message = chat_service.post_message

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database fell over")

    monkeypatch.setattr(chat_service, "post_message", broken)
    expect(await api.post(path, json={"body": "hello"}, headers=headers), 500)
    monkeypatch.setattr(chat_service, "post_message", post_message)
    again = await api.post(path, json={"body": "hello"}, headers=headers)
    assert expect(again, 201)["body"] == "hello"
    assert not replayed(again)
    assert replayed(await api.post(path, json={"body": "hello"}, headers=headers))


async def test_a_retried_review_is_replayed(
    api: Client, customer_a: ApiUser, completed_order: dict[str, Any]
) -> None:
    path = f"/api/orders/{completed_order['id']}/review"
    headers = keyed(customer_a, "review-1")
    first = expect(await api.post(path, json={"stars": 5}, headers=headers), 201)
    retry = await api.post(path, json={"stars": 5}, headers=headers)
    assert expect(retry, 201) == first
    assert replayed(retry)


async def test_the_same_key_with_another_body_is_refused(
    api: Client, customer_a: ApiUser, vehicle_a: dict[str, Any], package: dict[str, Any]
) -> None:
    expect(await book(api, customer_a, "book-1", order_body(vehicle_a, package)), 201)
    other = order_body(vehicle_a, package, notes="ring twice")
    refused = expect(await book(api, customer_a, "book-1", other), 422)
    assert refused["code"] == "idempotency_key_reused"
    assert await order_count(api, customer_a) == 1


async def test_member_order_and_spacing_do_not_make_another_body(
    api: Client, customer_a: ApiUser, vehicle_a: dict[str, Any], package: dict[str, Any]
) -> None:
    body = order_body(vehicle_a, package)
    expect(await book(api, customer_a, "book-1", body), 201)
    reordered = dict(reversed(list(body.items())))
    retry = await api.post(
        "/api/orders",
        content=str(reordered).replace("'", '"').encode(),
        headers={**keyed(customer_a, "book-1"), "Content-Type": "application/json"},
    )
    assert expect(retry, 201)["vehicle_id"] == vehicle_a["id"]
    assert replayed(retry)


async def test_simultaneous_requests_with_one_key_run_once(
    concurrent_api: OpenClient,
    api: Client,
    customer_a: ApiUser,
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
) -> None:
    body = order_body(vehicle_a, package)
    async with concurrent_api() as client:
        responses = await asyncio.gather(
            *(book(client, customer_a, "race-1", body) for _ in range(RACERS))
        )
    ran = [r for r in responses if r.status_code == 201 and not replayed(r)]
    others = [r for r in responses if r not in ran]
    assert len(ran) == 1
    for response in others:
        assert response.status_code == 409 or replayed(response), response.text
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_key_in_progress"
        else:
            assert response.json()["id"] == ran[0].json()["id"]
    assert await order_count(api, customer_a) == 1


async def test_two_users_may_use_the_same_key(
    api: Client,
    customer_a: ApiUser,
    customer_b: ApiUser,
    make_vehicle: Callable[..., Any],
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
) -> None:
    vehicle_b = await make_vehicle(customer_b, plate="B-WL-2")
    mine = await book(api, customer_a, "same", order_body(vehicle_a, package))
    theirs = await book(api, customer_b, "same", order_body(vehicle_b, package))
    assert mine.status_code == theirs.status_code == 201
    assert not replayed(theirs)
    assert theirs.json()["id"] != mine.json()["id"]
    assert theirs.json()["customer_id"] == customer_b.id
    retry = await book(api, customer_b, "same", order_body(vehicle_b, package))
    assert replayed(retry)
    assert retry.json()["id"] == theirs.json()["id"]


@pytest.mark.parametrize("key", ["has space", "x" * 256, "tab\tinside"])
async def test_a_malformed_key_is_refused(
    api: Client,
    customer_a: ApiUser,
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
    key: str,
) -> None:
    refused = expect(await book(api, customer_a, key, order_body(vehicle_a, package)), 400)
    assert refused["code"] == "bad_idempotency_key"
    assert await order_count(api, customer_a) == 0


async def test_an_expired_key_runs_again(
    api: Client,
    settings: Settings,
    customer_a: ApiUser,
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
) -> None:
    body = order_body(vehicle_a, package)
    first = expect(await book(api, customer_a, "book-1", body), 201)
    assert replayed(await book(api, customer_a, "book-1", body))
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        await session.execute(update(IdempotencyKey).values(expires_at=past))
        await session.commit()
    await engine.dispose()
    again = await book(api, customer_a, "book-1", body)
    assert expect(again, 201)["id"] != first["id"]
    assert not replayed(again)
    assert await order_count(api, customer_a) == 2


async def _leave_a_claim(
    settings: Settings, user: ApiUser, key: str, body: dict[str, Any], age: timedelta
) -> None:
    """A claim whose request never finished, as a killed process or a database outage
    leaves it: no outcome stored, never released."""
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        started = datetime.now(UTC) - age
        session.add(
            IdempotencyKey(
                user_id=user.id,
                method="POST",
                path="/api/orders",
                key=key,
                request_hash=request_hash(json.dumps(body).encode()),
                created_at=started,
                expires_at=started + timedelta(hours=24),
            )
        )
        await session.commit()
    await engine.dispose()


async def test_a_claim_without_an_outcome_past_its_lease_does_not_hold_the_key(
    api: Client,
    settings: Settings,
    customer_a: ApiUser,
    vehicle_a: dict[str, Any],
    package: dict[str, Any],
) -> None:
    lease = timedelta(seconds=settings.idempotency_lease_seconds)
    body = order_body(vehicle_a, package)
    await _leave_a_claim(settings, customer_a, "running", body, timedelta(0))
    await _leave_a_claim(settings, customer_a, "abandoned", body, lease + timedelta(seconds=1))
    held = expect(await book(api, customer_a, "running", body), 409)
    assert held["code"] == "idempotency_key_in_progress"
    ran = await book(api, customer_a, "abandoned", body)
    assert expect(ran, 201)["customer_id"] == customer_a.id
    assert not replayed(ran)
    assert replayed(await book(api, customer_a, "abandoned", body))
    assert await order_count(api, customer_a) == 1


async def test_the_header_is_documented_on_the_idempotent_operations(api: Client) -> None:
    schema = expect(await api.get("/schema/openapi.json"), 200)

    def headers_of(path: str) -> list[str]:
        parameters = schema["paths"][path]["post"].get("parameters", [])
        return [p["name"] for p in parameters if p["in"] == "header"]

    assert "Idempotency-Key" in headers_of("/api/orders")
    assert "Idempotency-Key" in headers_of("/api/orders/{order_id}/messages")
    assert "Idempotency-Key" not in headers_of("/api/vehicles")
